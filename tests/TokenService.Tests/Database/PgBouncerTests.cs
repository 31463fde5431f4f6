using System.Net;
using System.Text.Json;
using Npgsql;
using TestSupport;
using TokenService.Cli;

namespace TokenService.Tests.Database;

/// <summary>
/// Issue 18 point 2: both services work through pgbouncer in transaction mode. DATABASE_URL points at pgbouncer with a
/// pool of three server connections, so consecutive transactions of one client connection land on different server
/// connections and any session state (a SET, a prepared statement, a session advisory lock) would leak or be lost;
/// DIRECT_DATABASE_URL points at PostgreSQL itself for <c>migrate</c> and the LISTEN/NOTIFY listener.
/// </summary>
[NonParallelizable]
public sealed class PgBouncerTests
{
    private PgBouncer bouncer = null!;
    private string direct = null!;
    private string pooled = null!;
    private TokenServiceHost tokens = null!;
    private Uri issuer = null!;
    private HttpClient tokenClient = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        if (PgBouncer.Binary is null)
        {
            Assert.Ignore("pgbouncer is not installed: scripts/install-prerequisites.sh installs it");
        }

        direct = await PostgresServer.CreateDatabaseAsync("pgbouncer", migrate: false);
        bouncer = await PgBouncer.StartAsync(direct, poolSize: 3);
        pooled = bouncer.ConnectionString(direct);

        using var output = new StringWriter();
        var exit = await OpsCli.RunAsync(["migrate"], output, output, Settings());
        Assert.That(exit, Is.Zero, $"migrate: {output}\npgbouncer: {bouncer.Log}");

        (tokens, issuer, tokenClient) = await StartTokenServiceAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        tokenClient?.Dispose();
        if (tokens is not null)
        {
            await tokens.DisposeAsync();
        }

        if (bouncer is not null)
        {
            await bouncer.DisposeAsync();
        }
    }

    [Test]
    public async Task Client_credentials_token_is_issued_through_pgbouncer()
    {
        var (id, secret) = await tokens.CreateApplicationAsync(null, "metric:query");
        var token = await TokenServiceHost.GetTokenAsync(tokenClient, id, secret);
        Assert.That(token.Split('.'), Has.Length.EqualTo(3), bouncer.Log);
    }

    /// <summary>The services' settings: the pool through pgbouncer, the direct connection for LISTEN and migrations.</summary>
    private Dictionary<string, string?> Settings() => new() { ["DATABASE_URL"] = pooled, ["DIRECT_DATABASE_URL"] = direct };

    private async Task<(TokenServiceHost Host, Uri Issuer, HttpClient Client)> StartTokenServiceAsync()
    {
        var port = Loopback.FreePort();
        var address = new Uri($"http://127.0.0.1:{port}");
        var settings = Settings();
        settings["Issuer"] = address.ToString().TrimEnd('/');
        var host = new TokenServiceHost(pooled, settings);
        host.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        host.StartServer();
        return (host, address, await host.CreateReadyClientAsync());
    }
}
