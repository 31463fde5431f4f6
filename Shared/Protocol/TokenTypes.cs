namespace Shared.Protocol;

/// <summary>RFC 6750 token type and the OIDC Core s.2 ID token media type.</summary>
public static class TokenTypes
{
    public const string Bearer = "Bearer";
    public const string IdTokenType = "JWT";
}
