using Microsoft.AspNetCore.Http.HttpResults;
using Shared.Database;
using Shared.Protocol;
using TokenService.Issuance;
using TokenService.Observability;

namespace TokenService.Token;

/// <summary>
/// POST /oauth2/token (RFC 6749 s.3.2). The story in order: content type, read the form once, parse the
/// parameters, authenticate the client, hand over to the grant. Every failure is an <see cref="OAuthError"/>.
/// </summary>
public static partial class TokenEndpoint
{
    public const string Path = "/oauth2/token";

    /// <summary>A token request is a few hundred bytes; 64 KiB leaves room and stops a memory flood early.</summary>
    public const long MaxBodyBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapToken(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, HandleAsync).DisableAntiforgery();
        return app;
    }

    public static async Task<Results<TokenResponse, OAuthError>> HandleAsync(
        HttpContext context,
        ClientAuthentication clientAuthentication,
        ClientCredentialsGrant clientCredentials,
        AuthorizationCodeGrant authorizationCode,
        RefreshTokenGrant refreshToken,
        TokenExchangeGrant tokenExchange,
        DPoPProofCheck dpop,
        TokenServiceMetrics metrics,
        ILoggerFactory loggers,
        CancellationToken ct)
    {
        // Every answer is counted here, once: issued by grant, or failed by error code.
        var result = await ExchangeAsync(context, clientAuthentication, clientCredentials, authorizationCode, refreshToken, tokenExchange,
            dpop, loggers, ct);
        metrics.TokenEndpointAnswered(context, result.Result);
        return result;
    }

    /// <summary>A ValueTask: when the warm path completes synchronously, the wrapper above allocates nothing.</summary>
    private static async ValueTask<Results<TokenResponse, OAuthError>> ExchangeAsync(
        HttpContext context,
        ClientAuthentication clientAuthentication,
        ClientCredentialsGrant clientCredentials,
        AuthorizationCodeGrant authorizationCode,
        RefreshTokenGrant refreshToken,
        TokenExchangeGrant tokenExchange,
        DPoPProofCheck dpop,
        ILoggerFactory loggers,
        CancellationToken ct)
    {
        try
        {
            var (form, formError) = await ReadFormAsync(context, ct);
            if (formError is not null)
            {
                return formError;
            }

            var (request, parseError) = TokenRequest.Parse(form!);
            if (parseError is not null)
            {
                return parseError;
            }

            if (request!.GrantType is not (GrantTypes.ClientCredentials or GrantTypes.AuthorizationCode or GrantTypes.RefreshToken
                or GrantTypes.TokenExchange))
            {
                return OAuthError.UnsupportedGrantType(request.GrantType);
            }

            var (application, authError) = await clientAuthentication.AuthenticateAsync(context.Request, request.Credentials, ct);
            if (authError is not null)
            {
                return authError;
            }

            // RFC 9449 s.5: with a valid proof, the grant binds what it issues to the proof's key.
            var (jkt, dpopError) = await dpop.CheckAsync(context.Request, application!, ct);
            if (dpopError is not null)
            {
                return dpopError;
            }

            request = request with { DPoPJkt = jkt };
            var result = request.GrantType switch
            {
                GrantTypes.ClientCredentials => clientCredentials.Handle(application!, request),
                GrantTypes.AuthorizationCode => await authorizationCode.HandleAsync(application!, request, ct),
                GrantTypes.RefreshToken => await refreshToken.HandleAsync(application!, request, ct),
                GrantTypes.TokenExchange => await tokenExchange.HandleAsync(application!, request, ct),
                _ => OAuthError.UnsupportedGrantType(request.GrantType),
            };
            return jkt is not null && result.Result is TokenResponse issued
                ? issued with { TokenType = DPoP.TokenType, DPoPNonce = dpop.NextNonce() }
                : result;
        }
        catch (Exception e) when (e is KeysNotLoadedException || Postgres.IsUnavailable(e))
        {
            LogUnavailable(loggers.CreateLogger(typeof(TokenEndpoint)), e.GetType().Name);
            return OAuthError.TemporarilyUnavailable();
        }
    }

    /// <summary>
    /// RFC 6749 s.3.2: the body is application/x-www-form-urlencoded. A malformed or oversized body is the
    /// caller's mistake: invalid_request, never a 500.
    /// </summary>
    public static async Task<(IFormCollection? Form, OAuthError? Error)> ReadFormAsync(HttpContext context, CancellationToken ct)
    {
        var request = context.Request;
        if (!request.HasFormContentType || !(request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) ?? false))
        {
            return (null, OAuthError.InvalidRequest("the request body must be application/x-www-form-urlencoded"));
        }

        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, OAuthError.InvalidRequest("the request body is too large"));
        }

        if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }

        try
        {
            return (await request.ReadFormAsync(ct), null);
        }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException or InvalidOperationException or IOException or FormatException
                                   or System.Text.DecoderFallbackException)
        {
            return (null, OAuthError.InvalidRequest("the request body is not a well-formed form"));
        }
    }

    [LoggerMessage(2001, LogLevel.Warning, "Token request could not be served: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}
