using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.IdentityModel.JsonWebTokens;
using Shared.Protocol;
using TokenService.Applications;
using TokenService.Issuance;

namespace TokenService.Token;

/// <summary>
/// RFC 8693 token exchange, for delegation between services: a calling service presents an access token of ours
/// (<c>subject_token</c>) and gets one for the same subject with itself as actor (<c>act</c>, s.4.1). Only applications
/// with the grant type may; the new token never has more scope than both the subject token and the caller's application,
/// keeps the subject's tenant (and policy values), its grant (revoking the grant kills it too) and its expiry at most.
/// </summary>
public sealed class TokenExchangeGrant(AccessTokenReader reader, AccessTokenIssuer issuer, Audiences audiences)
{
    /// <summary>Claims of the subject token carried over unchanged (issue 15's access-policy values).</summary>
    private static readonly string[] Carried = ["policy_values"];

    public async Task<Results<TokenResponse, OAuthError>> HandleAsync(Application application, TokenRequest request, CancellationToken ct)
    {
        if (!application.GrantTypes.Contains(GrantTypes.TokenExchange, StringComparer.Ordinal))
        {
            return OAuthError.UnauthorizedClient("this application may not use token exchange");
        }

        if (request.SubjectToken is null || request.SubjectTokenType is null)
        {
            return OAuthError.InvalidRequest("subject_token and subject_token_type are required (RFC 8693 s.2.1)");
        }

        if (request.SubjectTokenType != TokenTypes.AccessTokenUrn)
        {
            return OAuthError.InvalidRequest($"subject_token_type must be {TokenTypes.AccessTokenUrn}");
        }

        // The one reader: signature, issuer, audience, type, lifetime and every revocation (token, grant, client).
        if (await reader.ValidateAsync(request.SubjectToken, null, ct) is not { } subject || subject.Subject is null)
        {
            return OAuthError.InvalidGrant("subject_token is not an active access token of this server");
        }

        if (request.Tenant is not null && request.Tenant != subject.Tenant)
        {
            return OAuthError.InvalidRequest("an exchanged token keeps the subject token's tenant");
        }

        var allowed = subject.ScopeList.Intersect(application.Scopes, StringComparer.Ordinal).ToArray();
        var (scopes, scopeError) = request.Scope is null
            ? (allowed, null)
            : ScopeSelection.ForUser(request.Scope, allowed);
        if (scopeError is not null)
        {
            return scopeError;
        }

        if (scopes!.Length == 0)
        {
            return OAuthError.InvalidScope("the subject token and this application share no scope");
        }

        var (audience, granted, targetError) =
            audiences.Select(application, request.Resource, scopes, scopeNamed: request.Scope is not null);
        if (targetError is not null)
        {
            return targetError;
        }

        var token = issuer.Issue(new AccessTokenRequest(subject.Subject, application.ClientId, granted!, subject.Tenant)
        {
            Audiences = audience,
            GrantId = Guid.TryParse(subject.GrantId, out var grantId) ? grantId : null,
            NotAfter = Min(subject.ExpiresAt.UtcDateTime, application.CredentialExpiresAt),
            LifetimeSeconds = application.AccessTokenLifetimeSeconds,
            CarriedClaims = CarriedClaims(request.SubjectToken, application.ClientId),
            DPoPJkt = request.DPoPJkt,
        });
        return new TokenResponse(token.Jwt, token.ExpiresIn, string.Join(' ', granted!)) { IssuedTokenType = TokenTypes.AccessTokenUrn };
    }

    private static DateTime Min(DateTime a, DateTime? b) => b is { } other && other < a ? other : a;

    /// <summary>
    /// RFC 8693 s.4.1: act names the caller; an actor the subject token already had is nested inside it (the chain of
    /// delegation). The subject's carried claims are copied as they are.
    /// </summary>
    private static Dictionary<string, object> CarriedClaims(string subjectToken, string actor)
    {
        var jwt = new JsonWebToken(subjectToken);
        var act = new Dictionary<string, object> { [ClaimNames.Subject] = actor };
        if (jwt.TryGetPayloadValue<JsonElement>(ClaimNames.Actor, out var prior))
        {
            act[ClaimNames.Actor] = prior;
        }

        var claims = new Dictionary<string, object> { [ClaimNames.Actor] = act };
        foreach (var name in Carried)
        {
            if (jwt.TryGetPayloadValue<JsonElement>(name, out var value))
            {
                claims[name] = value;
            }
        }

        return claims;
    }
}
