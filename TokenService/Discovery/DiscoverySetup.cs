namespace TokenService.Discovery;

public static class DiscoverySetup
{
    /// <summary>The metadata document, built once; served by <see cref="DiscoveryEndpoint.MapDiscovery"/>.</summary>
    public static IServiceCollection AddDiscovery(this IServiceCollection services) => services.AddSingleton<DiscoveryDocument>();
}
