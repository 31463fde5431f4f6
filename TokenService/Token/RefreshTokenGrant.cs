using Microsoft.AspNetCore.Http.HttpResults;
using Shared.Protocol;
using TokenService.Applications;
using TokenService.Crypto;
using TokenService.Issuance;
using TokenService.RefreshTokens;
using TokenService.Users;

namespace TokenService.Token;

/// <summary>
/// RFC 6749 s.6 with rotation (RFC 9700 s.4.14.2): the presented token is consumed and a successor issued with the
/// same grant. The access token's scope may be narrowed, never widened. A rotated token presented again revokes the
/// family, since either the client or an attacker holds a copy and we cannot tell which. De-provisioning reaches the
/// grant here (issue 11 point 3): each refresh yields only what the application still holds, what the user's roles
/// still allow and a tenant the user still belongs to, or nothing.
/// </summary>
public sealed partial class RefreshTokenGrant(
    RefreshTokenStore store,
    UserAccessStore users,
    AccessTokenIssuer accessTokens,
    IdTokenIssuer idTokens,
    Audiences audiences,
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

        // Shape only here (malformed, unknown scope); "not more than was granted" is DecideAsync's check.
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

        Decision? decision = null;
        var (outcome, family, successor) = await store.RotateAsync(request.RefreshToken, application.ClientId, async (f, token) =>
        {
            // Refused inside the transaction: a thief without the key leaves the rightful client's token unspent.
            decision = KeyBindingError(f, application, request.DPoPJkt) is { } keyError
                ? new Decision(null, null, null, keyError)
                : await DecideAsync(f, application, requested, request.Resource, token);
            return decision.Error is null;
        }, ct);
        switch (outcome)
        {
            case RefreshOutcome.Reused:
                LogReused(logger, application.ClientId);
                return OAuthError.InvalidGrant("the refresh token was already used; every token of this grant is now revoked");
            case RefreshOutcome.Refused:
                return decision!.Error!;
            case RefreshOutcome.Invalid:
                return OAuthError.InvalidGrant("the refresh token is invalid or expired");
        }

        var granted = decision!.Scopes!;
        var access = accessTokens.Issue(new AccessTokenRequest(family!.UserId.ToString(), application.ClientId, granted, decision.Tenant)
        {
            GrantId = family.Id, Audiences = decision.Audiences, LifetimeSeconds = application.AccessTokenLifetimeSeconds,
            DPoPJkt = request.DPoPJkt,
        });
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

    /// <summary>
    /// RFC 9449 s.5: a public client's refresh token obtained with DPoP is bound to that key, so it is refused without a
    /// proof of the very same key. A confidential client's is bound by its credentials (it may change keys), but still
    /// needs a proof: a DPoP grant never falls back to Bearer tokens.
    /// </summary>
    private static OAuthError? KeyBindingError(RefreshTokenFamily family, Application application, string? jkt) =>
        family.DPoPJkt is null ? null
        : jkt is null ? OAuthError.InvalidGrant("this refresh token was obtained with DPoP: send a DPoP proof")
        : application.IsPublic && jkt != family.DPoPJkt ? OAuthError.InvalidGrant("this refresh token is bound to another DPoP key")
        : null;

    private sealed record Decision(string[]? Scopes, string? Tenant, string[]? Audiences, OAuthError? Error);

    /// <summary>
    /// What this refresh may yield now. RFC 6749 s.6: never more than the grant; and no more than the application
    /// still holds and the user's roles still allow. The grant's tenant must still be one of the user's that the
    /// application allows. A requested scope outside that is invalid_scope; nothing left at all is invalid_grant.
    /// </summary>
    private async Task<Decision> DecideAsync(RefreshTokenFamily family, Application application, string[]? requested, string? resource,
        CancellationToken ct)
    {
        // Every family came from the code flow: an application that lost that grant type lost its sign-ins too.
        if (!application.GrantTypes.Contains(GrantTypes.AuthorizationCode, StringComparer.Ordinal))
        {
            return new Decision(null, null, null, OAuthError.InvalidGrant("this application may no longer act for signed-in users"));
        }

        var access = await users.GetAsync(family.UserId, ct);
        var (entitled, _) = Roles.Entitled(family.Scopes.Intersect(application.Scopes, StringComparer.Ordinal).ToArray(), access.Roles,
            named: false);
        if (requested?.FirstOrDefault(s => !entitled!.Contains(s, StringComparer.Ordinal)) is { } wider)
        {
            return new Decision(null, null, null, OAuthError.InvalidScope(
                $"scope {wider} is not part of this grant any more, or never was (RFC 6749 s.6: a refresh may narrow the scope, not " +
                "widen it)"));
        }

        var scopes = requested ?? entitled!;
        if (!scopes.Any(s => s != Scopes.OfflineAccess))
        {
            return new Decision(null, null, null,
                OAuthError.InvalidGrant("nothing this grant gave is still allowed to the application or the user"));
        }

        var (tenant, tenantError) = TenantParameter.ForUser(family.Tenant, access.Tenants, application.AllowedTenants);
        if (tenantError is not null)
        {
            return new Decision(null, null, null, OAuthError.InvalidGrant("the user no longer has the tenant this grant was for"));
        }

        var (audience, narrowed, targetError) =
            audiences.Select(application, resource ?? family.Resource, scopes, scopeNamed: requested is not null);
        return new Decision(narrowed, tenant, audience, targetError);
    }

    [LoggerMessage(2201, LogLevel.Warning, "A rotated refresh token was presented again by client {ClientId}; its family is revoked")]
    private static partial void LogReused(ILogger logger, string clientId);
}
