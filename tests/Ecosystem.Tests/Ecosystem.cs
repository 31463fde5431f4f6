using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Shared.Protocol;
using TestSupport;

namespace Ecosystem.Tests;

/// <summary>
/// Started once per run: the TokenService on real Kestrel over HTTPS (issuer https://localhost:PORT), a ResourceApi
/// that trusts that issuer and reads its discovery and JWKS over the network, and one confidential application
/// holding every API scope. The only test-specific part is trust in the test certificate.
/// </summary>
[SetUpFixture]
public sealed class Ecosystem
{
    public static TestCertificate Certificate { get; private set; } = null!;

    public static TokenServiceHost TokenService { get; private set; } = null!;

    /// <summary>The issuer exactly as tokens and discovery state it (no trailing slash).</summary>
    public static string Issuer { get; private set; } = null!;

    public static HttpClient TokenServiceClient { get; private set; } = null!;

    public static ResourceApiHost Api { get; private set; } = null!;

    public static (string ClientId, string Secret) Application { get; private set; }

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        Certificate = new TestCertificate();
        var database = await PostgresServer.CreateDatabaseAsync("ecosystem");
        var port = FreePort();
        Issuer = $"https://localhost:{port}";
        TokenService = new TokenServiceHost(database, new Dictionary<string, string?> { ["Issuer"] = Issuer });
        TokenService.UseKestrel(kestrel => kestrel.ListenLocalhost(port, listen => listen.UseHttps(Certificate.Certificate)));
        TokenService.StartServer();
        TokenServiceClient = Certificate.TrustingClient(new Uri(Issuer));
        await WaitUntilReadyAsync(TokenServiceClient);
        Application = await TokenService.CreateApplicationAsync("ecosystem", [.. Scopes.ApiScopes]);
        Api = new ResourceApiHost(database, Issuer, Certificate);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await Api.DisposeAsync();
        TokenServiceClient.Dispose();
        await TokenService.DisposeAsync();
        Certificate.Dispose();
    }

    private static async Task WaitUntilReadyAsync(HttpClient client)
    {
        for (var i = 0; i < 200; i++)
        {
            using var response = await client.GetAsync("/readyz");
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("TokenService did not become ready in 10 s");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>
/// The real ResourceApi (its own Program), in memory, trusting <paramref name="issuer"/>. Its outgoing calls (discovery,
/// JWKS, the Basic exchange) go over real HTTPS to the TokenService; they only learn to trust the test certificate.
/// </summary>
public sealed class ResourceApiHost(string connectionString, string issuer, TestCertificate certificate)
    : WebApplicationFactory<ResourceApi.Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting("DATABASE_URL", connectionString);
        builder.UseSetting("Issuer", issuer);
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.ConfigureTestServices(services =>
        {
            services.ConfigureHttpClientDefaults(client => client.ConfigurePrimaryHttpMessageHandler(certificate.TrustingHandler));
            services.Configure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme, o => o.BackchannelHttpHandler = certificate.TrustingHandler());
        });
    }
}
