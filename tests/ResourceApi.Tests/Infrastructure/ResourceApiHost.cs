using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace ResourceApi.Tests.Infrastructure;

/// <summary>The real ResourceApi (its own Program) trusting a given issuer; in-memory unless started on Kestrel.</summary>
public sealed class ResourceApiHost(string connectionString, Uri issuer, Action<IServiceCollection>? configureServices = null)
    : WebApplicationFactory<ResourceApi.Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("DATABASE_URL", connectionString);
        builder.UseSetting("Issuer", issuer.ToString().TrimEnd('/'));
        // Tests rotate keys and want the kid-miss refresh quickly; production keeps a few seconds.
        builder.UseSetting("JwksRefreshSeconds", "1");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        if (configureServices is not null)
        {
            builder.ConfigureTestServices(configureServices);
        }
    }

    /// <summary>Real Kestrel on a free loopback port; returns the base address.</summary>
    public Uri StartOnLoopback()
    {
        UseKestrel(0);
        StartServer();
        return ClientOptions.BaseAddress;
    }
}
