namespace Shared.Protocol;

/// <summary>RFC 8414 / OIDC Discovery token endpoint authentication methods.</summary>
public static class ClientAuthenticationMethods
{
    public const string SecretBasic = "client_secret_basic";
    public const string SecretPost = "client_secret_post";

    /// <summary>RFC 7523 s.2.2 / OIDC Core s.9: a JWT signed with a key the application registered (jwks).</summary>
    public const string PrivateKeyJwt = "private_key_jwt";

    /// <summary>RFC 7523 s.2.2: the client_assertion_type of a JWT client assertion.</summary>
    public const string JwtBearerAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

    /// <summary>What a client assertion may be signed with (discovery: token_endpoint_auth_signing_alg_values_supported).</summary>
    public static readonly IReadOnlyList<string> AssertionSigningAlgorithms = SigningAlgorithms.All;

    /// <summary>A public client: client_id only (RFC 7591 s.2).</summary>
    public const string None = "none";
}
