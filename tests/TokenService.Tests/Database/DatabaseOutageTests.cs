using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TestSupport;
using TokenService.Caching;
using TokenService.Cli;

namespace TokenService.Tests.Database;

/// <summary>
/// Issue 18 point 3, the part a failover does to one instance: its pooled connections (through pgbouncer) stop
/// reaching a primary while the change listener reconnects on its direct connection and empties the caches, since it
/// may have missed changes. Found with `make cluster` and `pg_autoctl perform failover`: warm client-credentials
/// requests then got 503 for the whole outage. Warm requests must keep getting tokens; cold ones get 503 with
/// Retry-After, never a 500. Here pgbouncer is stopped to take the database away from the pool.
/// </summary>
[NonParallelizable]
public sealed class DatabaseOutageTests
{
    private PgBouncer bouncer = null!;
    private TokenServiceHost host = null!;
    private HttpClient client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        if (PgBouncer.Binary is null)
        {
            Assert.Ignore("pgbouncer is not installed: scripts/install-prerequisites.sh --browser installs it");
        }

        var direct = await PostgresServer.CreateDatabaseAsync("outage", migrate: false);
        bouncer = await PgBouncer.StartAsync(direct, 3);
        var pooled = bouncer.ConnectionString(direct);
        var settings = new Dictionary<string, string?> { ["DATABASE_URL"] = pooled, ["DIRECT_DATABASE_URL"] = direct };
        using var output = new StringWriter();
        Assert.That(await OpsCli.RunAsync(["migrate"], output, output, settings), Is.Zero, output.ToString());
        host = new TokenServiceHost(pooled, settings);
        client = await host.CreateReadyClientAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        client?.Dispose();
        if (host is not null)
        {
            await host.DisposeAsync();
        }

        if (bouncer is not null)
        {
            await bouncer.DisposeAsync();
        }
    }

    [Test]
    public async Task Warm_client_credentials_keep_working_without_the_database_and_cold_requests_get_503_with_retry_after()
    {
        var (clientId, secret) = await host.CreateApplicationAsync(null, "metric:query");
        using (var warmUp = await TokenAsync(clientId, secret))
        {
            Assert.That(warmUp.StatusCode, Is.EqualTo(HttpStatusCode.OK), await warmUp.Content.ReadAsStringAsync());
        }

        await bouncer.DisposeAsync();
        bouncer = null!;
        // What the listener does when it reconnects after a failover: it may have missed changes, so it empties the caches.
        host.Services.GetRequiredService<ApplicationCache>().Clear();
        host.Services.GetRequiredService<VerifiedSecretCache>().Clear();
        NpgsqlConnection.ClearAllPools();

        using var warm = await TokenAsync(clientId, secret);
        using var cold = await TokenAsync("nosuchclient", "whatever");
        var coldBody = await cold.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Multiple(async () =>
        {
            Assert.That(warm.StatusCode, Is.EqualTo(HttpStatusCode.OK), await warm.Content.ReadAsStringAsync());
            Assert.That(cold.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), coldBody.ToString());
            Assert.That(coldBody.GetProperty("error").GetString(), Is.EqualTo("temporarily_unavailable"));
            Assert.That(cold.Headers.RetryAfter, Is.Not.Null);
        });
    }

    private Task<HttpResponseMessage> TokenAsync(string clientId, string secret) => client.PostAsync("/oauth2/token",
        new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret,
        }));
}
