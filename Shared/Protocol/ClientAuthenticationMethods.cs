namespace Shared.Protocol;

/// <summary>RFC 8414 / OIDC Discovery token endpoint authentication methods.</summary>
public static class ClientAuthenticationMethods
{
    public const string SecretBasic = "client_secret_basic";
    public const string SecretPost = "client_secret_post";

    /// <summary>A public client: client_id only (RFC 7591 s.2).</summary>
    public const string None = "none";
}
