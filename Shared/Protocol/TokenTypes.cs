namespace Shared.Protocol;

/// <summary>RFC 6750 token type and the OIDC Core s.2 ID token media type.</summary>
public static class TokenTypes
{
    public const string Bearer = "Bearer";
    public const string IdTokenType = "JWT";

    /// <summary>RFC 8693 s.3: an OAuth 2.0 access token, as subject_token_type and issued_token_type.</summary>
    public const string AccessTokenUrn = "urn:ietf:params:oauth:token-type:access_token";
}
