namespace TokenService.Issuance;

/// <summary>Our own access tokens: the audiences they may name (RFC 8707), the issuer that signs them and the reader that checks them when
/// they come back.</summary>
public static class IssuanceSetup
{
    public static IServiceCollection AddAccessTokens(this IServiceCollection services)
    {
        services.AddSingleton<AccessTokenIssuer>();
        services.AddSingleton<AccessTokenReader>();
        return services;
    }
}
