using Microsoft.Extensions.Options;
using Shared.Protocol;
using TokenService.Authorize;
using TokenService.Keys;
using TokenService.UserInfo;

namespace TokenService.Discovery;

/// <summary>
/// OIDC Discovery 1.0 and RFC 8414 metadata: one document, served at both well-known paths.
/// Every endpoint the service has is listed here, and nothing it lacks.
/// </summary>
public static class DiscoveryEndpoint
{
    public static IEndpointRouteBuilder MapDiscovery(this IEndpointRouteBuilder app)
    {
        app.MapGet("/.well-known/openid-configuration", Handle);
        app.MapGet("/.well-known/oauth-authorization-server", Handle);
        return app;
    }

    public static IResult Handle(IOptions<TokenServiceOptions> options, DiscoveryDocument document, HttpContext context)
    {
        context.Response.Headers.CacheControl = "public, max-age=3600";
        return TypedResults.Bytes(document.Json, "application/json");
    }
}

/// <summary>The metadata, built once from configuration; features add their entries in <see cref="Build"/>.</summary>
public sealed class DiscoveryDocument(IOptions<TokenServiceOptions> options)
{
    private readonly Lazy<byte[]> json = new(() => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(Build(options.Value)));

    public byte[] Json => json.Value;

    public static Dictionary<string, object> Build(TokenServiceOptions o)
    {
        var issuer = o.IssuerTrimmed;
        return new Dictionary<string, object>
        {
            ["issuer"] = issuer,
            ["token_endpoint"] = issuer + "/oauth2/token",
            ["jwks_uri"] = issuer + JwksEndpoint.Path,
            ["revocation_endpoint"] = issuer + Revocation.RevocationEndpoint.Path,
            // RFC 7009 s.2.1 lets a public client revoke its own tokens; RFC 7662 introspection needs a real credential.
            ["revocation_endpoint_auth_methods_supported"] = new[]
            {
                ClientAuthenticationMethods.SecretBasic, ClientAuthenticationMethods.SecretPost, ClientAuthenticationMethods.None,
            },
            ["introspection_endpoint"] = issuer + Introspection.IntrospectionEndpoint.Path,
            ["introspection_endpoint_auth_methods_supported"] = new[] { ClientAuthenticationMethods.SecretBasic, ClientAuthenticationMethods.SecretPost },
            ["authorization_endpoint"] = issuer + AuthorizeEndpoint.Path,
            ["userinfo_endpoint"] = issuer + UserInfoEndpoint.Path,
            ["grant_types_supported"] = new[]
            {
                GrantTypes.ClientCredentials, GrantTypes.AuthorizationCode, GrantTypes.RefreshToken, GrantTypes.TokenExchange,
            },
            ["token_endpoint_auth_methods_supported"] = new[]
            {
                ClientAuthenticationMethods.SecretBasic, ClientAuthenticationMethods.SecretPost, ClientAuthenticationMethods.PrivateKeyJwt,
                ClientAuthenticationMethods.None,
            },
            // RFC 8414 s.2: the algorithms a private_key_jwt client assertion may be signed with (RFC 7523).
            ["token_endpoint_auth_signing_alg_values_supported"] = ClientAuthenticationMethods.AssertionSigningAlgorithms,
            // RFC 9449 s.5.1: the token endpoint takes DPoP proofs signed with these.
            ["dpop_signing_alg_values_supported"] = DPoP.SigningAlgorithms,
            ["scopes_supported"] = Scopes.All,
            ["claims_supported"] = new[]
            {
                ClaimNames.Issuer, ClaimNames.Subject, ClaimNames.Audience, ClaimNames.Expires, ClaimNames.IssuedAt,
                ClaimNames.NotBefore, ClaimNames.JwtId, ClaimNames.ClientId, ClaimNames.Scope, ClaimNames.Tenant,
                ClaimNames.GrantId, ClaimNames.AuthTime, ClaimNames.Nonce, ClaimNames.AtHash, ClaimNames.AuthorizedParty, ClaimNames.Name,
                ClaimNames.PreferredUsername, ClaimNames.Email, ClaimNames.EmailVerified,
            },
            ["response_types_supported"] = new[] { ResponseTypes.Code },
            ["response_modes_supported"] = new[] { ResponseModes.Query },
            ["code_challenge_methods_supported"] = new[] { CodeChallengeMethods.S256 },
            ["prompt_values_supported"] = new[] { PromptValues.None, PromptValues.Login },
            // RFC 9207: every authorization response carries iss, so clients can detect mix-up attacks.
            ["authorization_response_iss_parameter_supported"] = true,
            ["request_parameter_supported"] = false,
            // OIDC Discovery s.3 defaults request_uri_parameter_supported to true: say that it is not.
            ["request_uri_parameter_supported"] = false,
            ["claims_parameter_supported"] = false,
            ["subject_types_supported"] = new[] { "public" },
            // What new keys sign with (SigningAlgorithm). An OIDC client expects RS256 unless it registered another
            // id_token_signed_response_alg: docs/configuration.md says so beside the setting.
            ["id_token_signing_alg_values_supported"] = new[] { o.SigningAlgorithm },
            // RFC 8707: `resource` on the authorize and token requests picks one of these audiences. Not registered
            // names (RFC 8414 s.2 allows additional members): the ResourceApi's and the management API's.
            ["resource_indicators_supported"] = true,
            ["resources_supported"] = new[] { o.Audience, o.ManagementAudienceOrIssuer },
        };
    }
}
