using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Shared.Database;
using Shared.Http;
using Shared.Protocol;
using TokenService.Caching;
using TokenService.Issuance;
using TokenService.Revocation;
using TokenService.Token;

namespace TokenService.Introspection;

/// <summary>
/// POST /oauth2/introspect (RFC 7662). An authenticated confidential client learns about its own access tokens, and
/// a resource server listed in IntrospectionClients about any (s.4); the answer holds only what the JWT itself says,
/// plus whether it is still good. A refresh token is introspected only by the client it was issued to. Everything not provably active is
/// <c>{"active": false}</c> and nothing more (s.2.2).
/// </summary>
public static partial class IntrospectionEndpoint
{
    public const string Path = "/oauth2/introspect";

    public static IEndpointRouteBuilder MapIntrospection(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, HandleAsync).DisableAntiforgery();
        return app;
    }

    public static async Task<Results<IntrospectionResponse, OAuthError>> HandleAsync(
        HttpContext context,
        ClientAuthentication authentication,
        AccessTokenReader reader,
        ApplicationCache applications,
        RefreshTokenRevocationStore refreshTokens,
        IOptions<TokenServiceOptions> options,
        TimeProvider time,
        ILoggerFactory loggers,
        CancellationToken ct)
    {
        try
        {
            var (request, error) = await TokenActionRequest.ReadAsync(context, authentication, ct);
            if (error is not null)
            {
                return error;
            }

            // RFC 7662 s.2.1: the caller must authenticate; a public client has nothing to authenticate with.
            if (request!.Client.IsPublic)
            {
                return OAuthError.InvalidClient(basic: false);
            }

            var caller = request.Client.ClientId;
            var now = time.GetUtcNow().UtcDateTime;
            if (!request.RefreshTokenFirst
                && await IntrospectAccessTokenAsync(request.Token, caller, reader, options.Value, ct) is { } first)
            {
                return first;
            }

            if (request.Token.Length <= Crypto.OpaqueToken.MaxLength &&
                await refreshTokens.FindAsync(request.Token, caller, now, ct) is { Active: true } refresh &&
                await applications.FindAsync(refresh.ClientId, ct) is not null)
            {
                return IntrospectionResponse.ForRefreshToken(refresh);
            }

            return request.RefreshTokenFirst
                && await IntrospectAccessTokenAsync(request.Token, caller, reader, options.Value, ct) is { } hinted
                ? hinted
                : IntrospectionResponse.Inactive;
        }
        catch (Exception e) when (Postgres.IsUnavailable(e))
        {
            LogUnavailable(loggers.CreateLogger(typeof(IntrospectionEndpoint)), e.GetType().Name);
            return OAuthError.TemporarilyUnavailable();
        }
    }

    /// <summary>
    /// The one reader decides whether the token is usable now (lifetime, revoked jti, grant or client, deleted
    /// application). RFC 7662 s.4: only the token's own client, or a resource server listed in IntrospectionClients,
    /// learns that it is active; anyone else gets what an unknown token gets, so introspection is no oracle for
    /// other clients' tokens.
    /// </summary>
    private static async Task<IntrospectionResponse?> IntrospectAccessTokenAsync(
        string token, string caller, AccessTokenReader reader, TokenServiceOptions options, CancellationToken ct) =>
        await reader.ValidateAsync(token, audience: null, ct) is { } claims &&
        (claims.ClientId == caller || options.IntrospectionClients.Contains(caller, StringComparer.Ordinal))
            ? IntrospectionResponse.ForAccessToken(claims)
            : null;

    [LoggerMessage(5101, LogLevel.Warning, "Introspection could not be served: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}

/// <summary>RFC 7662 s.2.2 response, written straight to the body; never cached.</summary>
public sealed record IntrospectionResponse(IReadOnlyList<KeyValuePair<string, object>> Members) : IResult
{
    public static readonly IntrospectionResponse Inactive = new([]);

    public static IntrospectionResponse ForAccessToken(AccessTokenClaims c) => new(Present(
        M(ClaimNames.Scope, c.Scope), M(ClaimNames.ClientId, c.ClientId), M(ClaimNames.Subject, c.Subject), M(ClaimNames.Tenant, c.Tenant),
        M(ClaimNames.Expires, c.ExpiresAt.ToUnixTimeSeconds()), M(ClaimNames.IssuedAt, c.IssuedAt.ToUnixTimeSeconds()),
        M(ClaimNames.NotBefore, c.NotBefore?.ToUnixTimeSeconds()),
        M(IntrospectionMembers.TokenType, c.DPoPJkt is null ? TokenTypes.Bearer : DPoP.TokenType),
        M(ClaimNames.Issuer, c.Issuer), M(ClaimNames.Audience, c.Audiences.Count == 1 ? c.Audiences[0] : c.Audiences.ToArray()),
        M(ClaimNames.JwtId, c.Jti),
        // RFC 9449 s.6.2: the resource server learns the key the token is bound to.
        M(DPoP.Confirmation, c.DPoPJkt is null ? null : new Dictionary<string, string> { [DPoP.Thumbprint] = c.DPoPJkt })));

    public static IntrospectionResponse ForRefreshToken(RefreshTokenFacts r) => new(Present(
        M(ClaimNames.Scope, string.Join(' ', r.Scopes)), M(ClaimNames.ClientId, r.ClientId), M(ClaimNames.Subject, r.UserId.ToString()),
        M(ClaimNames.Expires, new DateTimeOffset(r.ExpiresAt, TimeSpan.Zero).ToUnixTimeSeconds()),
        M(ClaimNames.IssuedAt, new DateTimeOffset(r.CreatedAt, TimeSpan.Zero).ToUnixTimeSeconds()),
        M(IntrospectionMembers.TokenType, IntrospectionMembers.RefreshTokenType)));

    private static KeyValuePair<string, object?> M(string name, object? value) => new(name, value);

    private static List<KeyValuePair<string, object>> Present(params KeyValuePair<string, object?>[] members) =>
        members.Where(m => m.Value is not null).Select(m => new KeyValuePair<string, object>(m.Key, m.Value!)).ToList();

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        NoStore.Apply(response);
        response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(response.Body);
        json.WriteStartObject();
        json.WriteBoolean(IntrospectionMembers.Active, Members.Count > 0);
        foreach (var (name, value) in Members)
        {
            if (value is long number)
            {
                json.WriteNumber(name, number);
            }
            else if (value is string[] several)
            {
                // RFC 7662 s.2.2 / RFC 7519 s.4.1.3: aud is a string or an array of them.
                json.WriteStartArray(name);
                foreach (var item in several)
                {
                    json.WriteStringValue(item);
                }

                json.WriteEndArray();
            }
            else if (value is Dictionary<string, string> members)
            {
                json.WriteStartObject(name);
                foreach (var (member, text) in members)
                {
                    json.WriteString(member, text);
                }

                json.WriteEndObject();
            }
            else
            {
                json.WriteString(name, (string)value);
            }
        }

        json.WriteEndObject();
    }
}
