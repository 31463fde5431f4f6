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
        var port = Loopback.FreePort();
        Issuer = $"https://localhost:{port}";
        TokenService = new TokenServiceHost(database, new Dictionary<string, string?> { ["Issuer"] = Issuer });
        TokenService.UseKestrel(kestrel => kestrel.ListenLocalhost(port, listen => listen.UseHttps(Certificate.Certificate)));
        TokenService.StartServer();
        TokenServiceClient = Certificate.TrustingClient(new Uri(Issuer));
        await Loopback.WaitUntilReadyAsync(TokenServiceClient);
        Application = await TokenService.CreateApplicationAsync("ecosystem", [.. Scopes.ApiScopes]);
        // Its outgoing calls (discovery, JWKS, the Basic exchange) go over real HTTPS to the TokenService; they only learn to
        // trust the test certificate.
        Api = new ResourceApiHost(database, Issuer, services =>
        {
            services.ConfigureHttpClientDefaults(client => client.ConfigurePrimaryHttpMessageHandler(Certificate.TrustingHandler));
            services.Configure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme,
                o => o.BackchannelHttpHandler = Certificate.TrustingHandler());
        });
        // As a load balancer would: no traffic before /readyz (the first revocation poll has succeeded, issue 11).
        using var probe = Api.CreateClient();
        await Loopback.WaitUntilReadyAsync(probe);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await Api.DisposeAsync();
        TokenServiceClient.Dispose();
        await TokenService.DisposeAsync();
        Certificate.Dispose();
    }
}
