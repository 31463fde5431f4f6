namespace Shared.Protocol;

public static class GrantTypes
{
    public const string ClientCredentials = "client_credentials";
    public const string AuthorizationCode = "authorization_code";
    public const string RefreshToken = "refresh_token";

    /// <summary>RFC 8693 s.2.1: token exchange (delegation between services).</summary>
    public const string TokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange";
}
