using Microsoft.AspNetCore.Http.HttpResults;
using Shared.Protocol;
using TokenService.Applications;
using TokenService.Authorize;
using TokenService.Crypto;
using TokenService.Issuance;
using TokenService.RefreshTokens;

namespace TokenService.Token;

/// <summary>
/// RFC 6749 s.4.1.3 with RFC 7636 s.4.5: a code becomes tokens once, for the client it was issued to, at the same
/// redirect URI, with the verifier of its challenge. The rules run in that order, each one named.
/// </summary>
public sealed partial class AuthorizationCodeGrant(
    AuthorizationCodeStore codes,
    RefreshTokenStore refreshTokens,
    AccessTokenIssuer accessTokens,
    IdTokenIssuer idTokens,
    Audiences audiences,
    TimeProvider time,
    ILogger<AuthorizationCodeGrant> logger)
{
    private const string Unusable = "the authorization code is invalid, expired, already used, or was issued to another client";

    public async Task<Results<TokenResponse, OAuthError>> HandleAsync(Application application, TokenRequest request, CancellationToken ct)
    {
        if (!application.GrantTypes.Contains(GrantTypes.AuthorizationCode, StringComparer.Ordinal))
        {
            return OAuthError.UnauthorizedClient("this application may not use the authorization_code grant");
        }

        if (request.Code is null || request.RedirectUri is null)
        {
            return OAuthError.InvalidRequest("code and redirect_uri are required");
        }

        if (request.CodeVerifier is not null && !Pkce.IsValidVerifier(request.CodeVerifier))
        {
            return OAuthError.InvalidRequest("code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 s.4.1)");
        }

        if (request.Code.Length > OpaqueToken.MaxLength)
        {
            return OAuthError.InvalidGrant(Unusable);
        }

        var (outcome, code) = await codes.RedeemAsync(request.Code, ct);
        if (outcome == Redemption.Replayed)
        {
            // RFC 6749 s.4.1.2: the code leaked or is being replayed; what it already produced is no longer safe: the
            // whole grant dies, the access token of the first exchange included.
            await refreshTokens.RevokeFromCodeAsync(code!.Id, code.GrantId, code.ClientId, ct);
            LogReplayed(logger, code.Id, application.ClientId);
            return OAuthError.InvalidGrant(Unusable);
        }

        if (outcome == Redemption.Unknown)
        {
            return OAuthError.InvalidGrant(Unusable);
        }

        if (ValidateCode(code!, application, request) is { } problem)
        {
            return OAuthError.InvalidGrant(problem);
        }

        // RFC 8707 s.2.2: the token request may repeat the authorization request's resource, not name another.
        if (request.Resource is not null && code!.Resource is not null && request.Resource != code.Resource)
        {
            return OAuthError.InvalidTarget("resource differs from the one in the authorization request");
        }

        var resource = request.Resource ?? code!.Resource;
        var (audience, scopes, targetError) = audiences.Select(application, resource, code!.Scopes, scopeNamed: false);
        if (targetError is not null)
        {
            return targetError;
        }

        // The grant id was fixed when the code was redeemed: the family below takes it as its id.
        var grantId = code.GrantId!.Value;
        var access = accessTokens.Issue(new AccessTokenRequest(code.UserId.ToString(), application.ClientId, scopes!, code.Tenant)
        {
            GrantId = grantId, Audiences = audience, LifetimeSeconds = application.AccessTokenLifetimeSeconds, DPoPJkt = request.DPoPJkt,
        });
        var authTime = new DateTimeOffset(DateTime.SpecifyKind(code.AuthTime, DateTimeKind.Utc));
        return new TokenResponse(access.Jwt, access.ExpiresIn, string.Join(' ', scopes!))
        {
            // RFC 6749 s.1.5 + OIDC Core s.11: a refresh token only for offline_access, and only if the client may refresh.
            RefreshToken = code.Scopes.Contains(Scopes.OfflineAccess) && application.GrantTypes.Contains(GrantTypes.RefreshToken)
                ? await refreshTokens.StartFamilyAsync(grantId, application.ClientId, code.UserId, code.Id, code.Scopes, code.AuthTime,
                    code.Tenant, code.Resource, request.DPoPJkt, ct)
                : null,
            IdToken = code.Scopes.Contains(Scopes.OpenId)
                ? idTokens.Issue(new IdTokenRequest(code.UserId, application.ClientId, authTime, code.Nonce, access.Jwt))
                : null,
        };
    }

    /// <summary>The code's bindings, checked after it was consumed: a failed attempt burns a stolen code too.</summary>
    private string? ValidateCode(AuthorizationCode code, Application application, TokenRequest request)
    {
        // RFC 6749 s.4.1.2: codes are short-lived.
        if (code.ExpiresAt <= time.GetUtcNow().UtcDateTime)
        {
            return "the authorization code has expired";
        }

        // RFC 6749 s.4.1.3: issued to this client, for this exact redirect URI.
        if (code.ClientId != application.ClientId)
        {
            return Unusable;
        }

        if (code.RedirectUri != request.RedirectUri)
        {
            return "redirect_uri does not match the authorization request";
        }

        // RFC 7636 s.4.6; RFC 9700 s.4.8.2: a verifier for a code issued without a challenge is a downgrade attempt.
        return code.CodeChallenge switch
        {
            null when request.CodeVerifier is not null => "code_verifier sent, but the authorization request had no code_challenge",
            { } challenge when request.CodeVerifier is null => "code_verifier is required: the authorization request had a code_challenge",
            { } challenge when !Pkce.Matches(request.CodeVerifier!, challenge) => "code_verifier does not match the code_challenge",
            _ => null,
        };
    }

    [LoggerMessage(2101, LogLevel.Warning, "Authorization code {CodeId} was presented again (by client {ClientId}); its tokens are revoked")]
    private static partial void LogReplayed(ILogger logger, Guid codeId, string clientId);
}
