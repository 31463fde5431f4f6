namespace TokenService.Revocation;

/// <summary>RFC 7009 revocation's own store (refresh token families); the endpoints are MapRevocation and MapRevocationFeed.</summary>
public static class RevocationSetup
{
    public static IServiceCollection AddRevocation(this IServiceCollection services)
    {
        services.AddSingleton<RefreshTokenRevocationStore>();
        return services;
    }
}
