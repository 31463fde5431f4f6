namespace TokenService.Changes;

/// <summary>The LISTEN/NOTIFY listener that keeps every instance's caches, key ring and revocations current.</summary>
public static class ChangesSetup
{
    public static IServiceCollection AddChangeListener(this IServiceCollection services)
    {
        services.AddSingleton<ChangeListener>();
        services.AddHostedService(sp => sp.GetRequiredService<ChangeListener>());
        return services;
    }
}
