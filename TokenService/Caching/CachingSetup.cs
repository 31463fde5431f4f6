namespace TokenService.Caching;

/// <summary>The LISTEN/NOTIFY feed that keeps every instance's caches (and key ring) current.</summary>
public static class CachingSetup
{
    public static IServiceCollection AddChangeFeed(this IServiceCollection services)
    {
        services.AddSingleton<ChangeFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<ChangeFeed>());
        return services;
    }
}
