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
        // As short as the JWKS's: the algorithms listed follow the published keys, and a client must see a new one
        // before its key signs (a key is published a lead time ahead; docs/operations.md, key rotation).
        context.Response.Headers.CacheControl = "public, max-age=300";
        return TypedResults.Bytes(document.Json, "application/json");
    }
}

/// <summary>
/// The metadata, built from configuration and the published keys' algorithms, again only when the key ring changes;
/// features add their entries in <see cref="Build"/>.
/// </summary>
public sealed class DiscoveryDocument(IOptions<TokenServiceOptions> options, KeyRing ring)
{
    // Swapped whole, like the key ring: a reader sees one snapshot's document or the next one's.
    private volatile Built? built;

    public byte[] Json
    {
        get
        {
            var snapshot = ring.Current;
            if (built is { } last && ReferenceEquals(last.Snapshot, snapshot))
            {
                return last.Json;
            }

            var document = Build(options.Value, SigningAlgorithmsOf(snapshot, options.Value));
            var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(document);
            built = new Built(snapshot, json);
            return json;
        }
    }

    private sealed record Built(KeyRingSnapshot? Snapshot, byte[] Json);

    /// <summary>
    /// What an ID token may be signed with: the signing key's algorithm first, then every other published key's (a
    /// rotation to another algorithm publishes the new key before it signs, and old tokens stay valid). Before the keys
    /// are loaded: the configured algorithm. Clients such as openid-client accept exactly these.
    /// </summary>
    private static string[] SigningAlgorithmsOf(KeyRingSnapshot? snapshot, TokenServiceOptions o) => snapshot is null
        ? [o.SigningAlgorithm]
        : [.. new[] { snapshot.Signer.Algorithm }.Concat(snapshot.PublishedKeys.Select(k => k.Algorithm)).Distinct()];

    public static Dictionary<string, object> Build(TokenServiceOptions o, string[] signingAlgorithms)
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
            // The published keys' algorithms (above). An OIDC client that registered id_token_signed_response_alg
            // expects that one; docs/configuration.md says so beside SigningAlgorithm.
            ["id_token_signing_alg_values_supported"] = signingAlgorithms,
            // RFC 8707: `resource` on the authorize and token requests picks one of these audiences. Not registered
            // names (RFC 8414 s.2 allows additional members): the ResourceApi's and the management API's.
            ["resource_indicators_supported"] = true,
            ["resources_supported"] = new[] { o.Audience, o.ManagementAudienceOrIssuer },
        };
    }
}
