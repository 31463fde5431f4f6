namespace Shared.Protocol;

/// <summary>JWT claim names (RFC 7519, RFC 9068, OIDC Core) and header values we issue and check.</summary>
public static class ClaimNames
{
    public const string Issuer = "iss";
    public const string Subject = "sub";
    public const string Audience = "aud";
    public const string Expires = "exp";
    public const string IssuedAt = "iat";
    public const string NotBefore = "nbf";
    public const string JwtId = "jti";
    public const string ClientId = "client_id";
    public const string Scope = "scope";
    public const string Tenant = "tenant";

    /// <summary>Access Policy placeholder values (a JSON object of strings, tenant included when given): issue 15.</summary>
    public const string PolicyValues = "policy_values";

    /// <summary>
    /// The grant (one sign-in's code, refresh family and their access tokens) a user's access token came from: one
    /// revocation of the grant kills every token of it (see Revocation/GrantRevocations).
    /// </summary>
    public const string GrantId = "grant_id";

    /// <summary>RFC 8693 s.4.1: the actor, the party acting on behalf of <c>sub</c> (an exchanged token).</summary>
    public const string Actor = "act";
    public const string AuthTime = "auth_time";
    public const string Nonce = "nonce";
    public const string AtHash = "at_hash";
    public const string AuthorizedParty = "azp";
    public const string Name = "name";
    public const string Email = "email";
    public const string EmailVerified = "email_verified";
    public const string PreferredUsername = "preferred_username";

    /// <summary>RFC 9068 s.2.1: the media type of a JWT access token.</summary>
    public const string AccessTokenType = "at+jwt";
}
