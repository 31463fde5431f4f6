using Microsoft.AspNetCore.Http.HttpResults;
using TokenService.Applications;
using TokenService.Issuance;

namespace TokenService.Token;

/// <summary>RFC 6749 s.4.4: a confidential client gets a token for itself; no refresh token (s.4.4.3).</summary>
public sealed class ClientCredentialsGrant(AccessTokenIssuer issuer, Audiences audiences)
{
    public Results<TokenResponse, OAuthError> Handle(Application application, TokenRequest request)
    {
        // RFC 6749 s.4.4: only confidential clients, and only those registered for this grant.
        if (!application.GrantTypes.Contains(Shared.Protocol.GrantTypes.ClientCredentials, StringComparer.Ordinal))
        {
            return OAuthError.UnauthorizedClient("this application may not use the client_credentials grant");
        }

        var (scopes, scopeError) = ScopeSelection.ForClientCredentials(request.Scope, application.Scopes);
        if (scopeError is not null)
        {
            return scopeError;
        }

        var (policyValues, tenant, valuesError) = PolicyValuesParameter.Read(request.PolicyValues, request.Tenant);
        if (valuesError is not null)
        {
            return valuesError;
        }

        if ((TenantParameter.Validate(tenant) ?? TenantParameter.CheckAllowed(tenant, application.AllowedTenants) ??
             AllowedPolicyValues.Check(policyValues, application.AllowedPolicyValues)) is { } tenantError)
        {
            return tenantError;
        }

        // RFC 8707: resource picks one API and leaves out the scopes it does not serve.
        var (audience, granted, targetError) = audiences.Select(application, request.Resource, scopes!, scopeNamed: request.Scope is not null);
        if (targetError is not null)
        {
            return targetError;
        }

        var token = issuer.Issue(new AccessTokenRequest(application.ClientId, application.ClientId, granted!, tenant)
        {
            NotAfter = application.CredentialExpiresAt, Audiences = audience, PolicyValues = policyValues,
            LifetimeSeconds = application.AccessTokenLifetimeSeconds, DPoPJkt = request.DPoPJkt,
        });
        return new TokenResponse(token.Jwt, token.ExpiresIn, string.Join(' ', granted!));
    }
}
