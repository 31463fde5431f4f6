using Microsoft.Extensions.Options;
using Shared.Protocol;
using TokenService.Keys;

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
            ["grant_types_supported"] = new[] { GrantTypes.ClientCredentials },
            ["token_endpoint_auth_methods_supported"] = new[] { "client_secret_basic", "client_secret_post" },
            ["scopes_supported"] = Scopes.ApiScopes,
            ["claims_supported"] = new[]
            {
                ClaimNames.Issuer, ClaimNames.Subject, ClaimNames.Audience, ClaimNames.Expires, ClaimNames.IssuedAt,
                ClaimNames.NotBefore, ClaimNames.JwtId, ClaimNames.ClientId, ClaimNames.Scope, ClaimNames.Tenant,
            },
            // OIDC Discovery requires these three even before user sign-in exists.
            ["response_types_supported"] = Array.Empty<string>(),
            ["subject_types_supported"] = new[] { "public" },
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
            ["token_endpoint_auth_signing_alg_values_supported"] = new[] { "RS256" },
        };
    }
}
