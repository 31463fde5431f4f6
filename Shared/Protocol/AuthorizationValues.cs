namespace Shared.Protocol;

/// <summary>RFC 6749 s.3.1.1 response types; only the authorization code flow is offered.</summary>
public static class ResponseTypes
{
    public const string Code = "code";
}

/// <summary>OAuth 2.0 Multiple Response Types s.2.1: the code comes back in the redirect URI's query.</summary>
public static class ResponseModes
{
    public const string Query = "query";
}

/// <summary>RFC 7636 s.4.2 code challenge methods. Only S256: <c>plain</c> protects nothing against a leaked request.</summary>
public static class CodeChallengeMethods
{
    public const string S256 = "S256";
    public const string Plain = "plain";
}

/// <summary>OIDC Core s.3.1.2.1 <c>prompt</c> values we honour.</summary>
public static class PromptValues
{
    public const string None = "none";
    public const string Login = "login";
}

/// <summary>RFC 6749 s.2.1 client types.</summary>
public static class ClientTypes
{
    public const string Confidential = "confidential";
    public const string Public = "public";

    public static bool IsKnown(string? type) => type is Confidential or Public;
}

/// <summary>RFC 8414 / OIDC Discovery token endpoint authentication methods.</summary>
public static class ClientAuthenticationMethods
{
    public const string SecretBasic = "client_secret_basic";
    public const string SecretPost = "client_secret_post";

    /// <summary>A public client: client_id only (RFC 7591 s.2).</summary>
    public const string None = "none";
}

/// <summary>RFC 6750 token type and the OIDC Core s.2 ID token media type.</summary>
public static class TokenTypes
{
    public const string Bearer = "Bearer";
    public const string IdTokenType = "JWT";
}
