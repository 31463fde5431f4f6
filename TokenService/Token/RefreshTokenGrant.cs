using Microsoft.AspNetCore.Http.HttpResults;
using Shared.Protocol;
using TokenService.Applications;
using TokenService.Crypto;
using TokenService.Issuance;
using TokenService.RefreshTokens;

namespace TokenService.Token;

/// <summary>
/// RFC 6749 s.6 with rotation (RFC 9700 s.4.14.2): the presented token is consumed and a successor issued with the
/// same grant. The access token's scope may be narrowed, never widened. A rotated token presented again revokes the
/// family, since either the client or an attacker holds a copy and we cannot tell which.
/// </summary>
public sealed partial class RefreshTokenGrant(
    RefreshTokenStore store,
    AccessTokenIssuer accessTokens,
    IdTokenIssuer idTokens,
    ILogger<RefreshTokenGrant> logger)
{
    public async Task<Results<TokenResponse, OAuthError>> HandleAsync(Application application, TokenRequest request, CancellationToken ct)
    {
        if (!application.GrantTypes.Contains(GrantTypes.RefreshToken, StringComparer.Ordinal))
        {
            return OAuthError.UnauthorizedClient("this application may not use the refresh_token grant");
        }

        if (request.RefreshToken is null)
        {
            return OAuthError.InvalidRequest("refresh_token is required");
        }

        // Shape only here (malformed, unknown scope); "not more than was granted" is the store's check.
        string[]? requested = null;
        if (request.Scope is not null)
        {
            var (scopes, scopeError) = ScopeSelection.ForUser(request.Scope, Scopes.All.ToArray());
            if (scopeError is not null)
            {
                return scopeError;
            }

            requested = scopes;
        }

        if (request.RefreshToken.Length > OpaqueToken.MaxLength)
        {
            return OAuthError.InvalidGrant("the refresh token is invalid or expired");
        }

        var (outcome, family, successor) = await store.RotateAsync(request.RefreshToken, application.ClientId, requested, ct);
        switch (outcome)
        {
            case RefreshOutcome.Reused:
                LogReused(logger, application.ClientId);
                return OAuthError.InvalidGrant("the refresh token was already used; every token of this grant is now revoked");
            case RefreshOutcome.ScopeNotGranted:
                return OAuthError.InvalidScope("a refresh may narrow the scope but not add to what was granted (RFC 6749 s.6)");
            case RefreshOutcome.Invalid:
                return OAuthError.InvalidGrant("the refresh token is invalid or expired");
        }

        var granted = requested ?? family!.Scopes;
        var access = accessTokens.Issue(new AccessTokenRequest(family!.UserId.ToString(), application.ClientId, granted, null));
        await store.AttachAccessTokenAsync(successor!, access.Jti, ct);
        var authTime = new DateTimeOffset(DateTime.SpecifyKind(family.AuthTime, DateTimeKind.Utc));
        return new TokenResponse(access.Jwt, access.ExpiresIn, string.Join(' ', granted))
        {
            RefreshToken = successor,
            // OIDC Core s.12.2: a new ID token for the same user and auth_time; no nonce on refresh.
            IdToken = granted.Contains(Scopes.OpenId)
                ? idTokens.Issue(new IdTokenRequest(family.UserId, application.ClientId, authTime, null, access.Jwt))
                : null,
        };
    }

    [LoggerMessage(2201, LogLevel.Warning, "A rotated refresh token was presented again by client {ClientId}; its family is revoked")]
    private static partial void LogReused(ILogger logger, string clientId);
}
