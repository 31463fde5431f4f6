using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace TestSupport;

/// <summary>
/// The real ResourceApi (its own Program) trusting a given issuer; in memory unless started on Kestrel. The one host
/// every test project uses: settings override the defaults below, test services replace what must reach the
/// TokenService another way (a test certificate, an in-memory TokenService).
/// </summary>
public sealed class ResourceApiHost(string connectionString, string issuer, Action<IServiceCollection>? configureServices = null,
    IDictionary<string, string?>? settings = null) : WebApplicationFactory<ResourceApi.Program>
{
    public ResourceApiHost(string connectionString, Uri issuer, Action<IServiceCollection>? configureServices = null)
        : this(connectionString, issuer.ToString().TrimEnd('/'), configureServices)
    {
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("DATABASE_URL", connectionString);
        builder.UseSetting("Issuer", issuer);
        // Tests rotate keys and want the kid-miss refresh quickly; production keeps a few seconds.
        builder.UseSetting("JwksRefreshSeconds", "1");
        // Wrong-credential tests want their 401 at once; the tarpit has its own tests, which turn it on.
        builder.UseSetting("BasicRefusalDelayMilliseconds", "0");
        // Disposed at each test's end with nothing balancing it: no drain; the drain's own tests set it.
        builder.UseSetting("Shutdown:DrainSeconds", "0");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }

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
