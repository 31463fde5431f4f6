namespace Shared.Protocol;

/// <summary>RFC 7662 s.2.2 response members that are not JWT claim names (those are in <see cref="ClaimNames"/>).</summary>
public static class IntrospectionMembers
{
    public const string Active = "active";
    public const string TokenType = "token_type";

    /// <summary>RFC 7662 token_type for a refresh token (RFC 6749 defines none; the hint value is the clearest name).</summary>
    public const string RefreshTokenType = Parameters.RefreshToken;
}
