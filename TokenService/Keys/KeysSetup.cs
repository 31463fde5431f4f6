namespace TokenService.Keys;

/// <summary>The signing key ring of the web host: one snapshot, refreshed in the background (rotation elsewhere).</summary>
public static class KeysSetup
{
    public static IServiceCollection AddSigningKeys(this IServiceCollection services)
    {
        services.AddSingleton<KeyRing>();
        services.AddSingleton<KeyRingRefresher>();
        services.AddHostedService(sp => sp.GetRequiredService<KeyRingRefresher>());
        return services;
    }
}
