using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Shared.Database;
using Shared.Http;
using Shared.Protocol;
using TokenService.Caching;
using TokenService.Issuance;
using TokenService.Revocation;
using TokenService.Token;

namespace TokenService.Introspection;

/// <summary>
/// POST /oauth2/introspect (RFC 7662). Any authenticated confidential client may introspect an access token: the
/// answer holds only what the JWT itself says, plus whether it is still good. A refresh token is introspected only by
/// the client it was issued to. Everything not provably active is <c>{"active": false}</c> and nothing more (s.2.2).
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
        RevocationList revocations,
        RefreshTokenRevocationStore refreshTokens,
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

            var now = time.GetUtcNow().UtcDateTime;
            if (!request.RefreshTokenFirst && await reader.ReadAsync(request.Token, validateLifetime: true) is { } claims)
            {
                // Deleted applications and revoked tokens or clients are inactive even though the JWT is still valid.
                var alive = await applications.FindAsync(claims.ClientId, ct) is not null &&
                            !await revocations.IsRevokedAsync(claims.Jti, claims.ClientId, claims.IssuedAt, ct);
                return alive ? IntrospectionResponse.ForAccessToken(claims) : IntrospectionResponse.Inactive;
            }

            if (request.Token.Length <= Crypto.OpaqueToken.MaxLength &&
                await refreshTokens.FindAsync(request.Token, request.Client.ClientId, now, ct) is { Active: true } refresh &&
                await applications.FindAsync(refresh.ClientId, ct) is not null)
            {
                return IntrospectionResponse.ForRefreshToken(refresh);
            }

            return request.RefreshTokenFirst && await reader.ReadAsync(request.Token, validateLifetime: true) is { } hinted &&
                   await applications.FindAsync(hinted.ClientId, ct) is not null &&
                   !await revocations.IsRevokedAsync(hinted.Jti, hinted.ClientId, hinted.IssuedAt, ct)
                ? IntrospectionResponse.ForAccessToken(hinted)
                : IntrospectionResponse.Inactive;
        }
        catch (Exception e) when (Postgres.IsUnavailable(e))
        {
            LogUnavailable(loggers.CreateLogger(typeof(IntrospectionEndpoint)), e.GetType().Name);
            return OAuthError.TemporarilyUnavailable();
        }
    }

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
        M(ClaimNames.NotBefore, c.NotBefore?.ToUnixTimeSeconds()), M(IntrospectionMembers.TokenType, TokenTypes.Bearer),
        M(ClaimNames.Issuer, c.Issuer), M(ClaimNames.Audience, c.Audience), M(ClaimNames.JwtId, c.Jti)));

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
            else
            {
                json.WriteString(name, (string)value);
            }
        }

        json.WriteEndObject();
    }
}
