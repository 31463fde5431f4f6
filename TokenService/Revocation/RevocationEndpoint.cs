using Microsoft.AspNetCore.Http.HttpResults;
using Shared.Database;
using Shared.Http;
using TokenService.Issuance;
using TokenService.Token;

namespace TokenService.Revocation;

/// <summary>
/// POST /oauth2/revoke (RFC 7009): a client revokes one of its own refresh tokens (and with it the family) or access
/// tokens (by jti, published on the revocation feed so resource servers refuse it within seconds).
/// </summary>
public static partial class RevocationEndpoint
{
    public const string Path = "/oauth2/revoke";

    public static IEndpointRouteBuilder MapRevocation(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, HandleAsync).DisableAntiforgery();
        return app;
    }

    public static async Task<Results<Ok, OAuthError>> HandleAsync(
        HttpContext context,
        ClientAuthentication authentication,
        AccessTokenReader reader,
        RevocationStore store,
        RefreshTokenRevocationStore refreshTokens,
        RevocationList list,
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

            NoStore.Apply(context.Response);
            var now = time.GetUtcNow().UtcDateTime;
            var client = request!.Client.ClientId;
            if (request.RefreshTokenFirst && await refreshTokens.RevokeAsync(request.Token, client, now, ct))
            {
                return TypedResults.Ok();
            }

            if (await reader.ReadAsync(request.Token, validateLifetime: false) is { } claims)
            {
                // RFC 7009 s.2.1: only the client the token was issued to may revoke it. Another client's token is left
                // alone but answered like an unknown one (as s.2.2 does for invalid tokens): no oracle for whose it is.
                if (claims.ClientId == client && claims.ExpiresAt.UtcDateTime > now)
                {
                    await store.RevokeAccessTokenAsync(claims.Jti, client, claims.ExpiresAt.UtcDateTime + RevocationStore.ClockSkewMargin, now, ct);
                    await list.RefreshAsync(ct);
                    LogRevoked(loggers.CreateLogger(typeof(RevocationEndpoint)), client);
                }

                return TypedResults.Ok();
            }

            if (!request.RefreshTokenFirst)
            {
                await refreshTokens.RevokeAsync(request.Token, client, now, ct);
            }

            // RFC 7009 s.2.2: an invalid or unknown token is answered 200 as well; the client cannot act on the difference.
            return TypedResults.Ok();
        }
        catch (Exception e) when (Postgres.IsUnavailable(e))
        {
            LogUnavailable(loggers.CreateLogger(typeof(RevocationEndpoint)), e.GetType().Name);
            return OAuthError.TemporarilyUnavailable();
        }
    }

    [LoggerMessage(5001, LogLevel.Information, "Access token of client {ClientId} revoked")]
    private static partial void LogRevoked(ILogger logger, string clientId);

    [LoggerMessage(5002, LogLevel.Warning, "Revocation could not be served: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}
