using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Shared.Database;
using TestSupport;
using TokenService.Cli;

namespace TokenService.Tests.Database;

/// <summary>
/// Issue 12 point 6: the services' pools together stay under PostgreSQL's default max_connections with room for
/// operators; the start-up check names an over-budget pool; an exhausted pool is 503 with Retry-After, never a
/// driver error; and <c>TokenService migrate</c> still gets a connection while the API holds its whole pool.
/// </summary>
public sealed class ConnectionBudgetTests
{
    /// <summary>PostgreSQL's defaults: max_connections 100, superuser_reserved_connections 3.</summary>
    private const int DefaultMaxConnections = 100;

    [Test]
    public void Default_pools_of_both_services_fit_under_the_default_max_connections_with_room_for_ops()
    {
        var sum = Postgres.DefaultPoolSizes["TokenService"] + Postgres.DefaultPoolSizes["ResourceApi"] + ConnectionBudget.OpsReserve + 3;
        Assert.That(sum, Is.LessThanOrEqualTo(DefaultMaxConnections));
    }

    [Test]
    public async Task Start_up_check_says_whether_the_pool_fits()
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync("budget", migrate: false);
        await using var fitting = Postgres.CreateDataSource(connectionString, "TokenService");
        await using var oversized = Postgres.CreateDataSource(connectionString + ";Maximum Pool Size=5000", "TokenService");
        var (fits, message) = await ConnectionBudget.CheckAsync(fitting, default);
        var (oversizedFits, oversizedMessage) = await ConnectionBudget.CheckAsync(oversized, default);
        TestContext.Out.WriteLine(message);
        Assert.Multiple(() =>
        {
            Assert.That(new NpgsqlConnectionStringBuilder(fitting.ConnectionString).MaxPoolSize,
                Is.EqualTo(Postgres.DefaultPoolSizes["TokenService"]));
            Assert.That(fits, Is.True, message);
            Assert.That(oversizedFits, Is.False);
            Assert.That(oversizedMessage, Does.Contain("pool 5000").And.Contain("max_connections"));
        });
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Exhausted_pool_answers_503_with_retry_after_and_no_driver_error()
    {
        // Two connections, both held by the test (the change listener has its own direct pool since DIRECT_DATABASE_URL).
        var connectionString = await PostgresServer.CreateDatabaseAsync("exhausted");
        await using var host = new TokenServiceHost(connectionString + ";Maximum Pool Size=2;Timeout=1");
        using var client = await host.CreateReadyClientAsync();
        var db = host.Services.GetRequiredService<NpgsqlDataSource>();
        for (var i = 0; i < 100 && !host.Services.GetRequiredService<TokenService.Changes.ChangeListener>().Listening; i++)
        {
            await Task.Delay(20);
        }

        await using var held = await db.OpenConnectionAsync();
        await using var heldToo = await db.OpenConnectionAsync();
        using var response = await client.PostAsync("/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = "not-cached",
            ["client_secret"] = "x",
        }));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable), body);
            Assert.That(response.Headers.RetryAfter?.Delta, Is.GreaterThan(TimeSpan.Zero));
            Assert.That(body, Does.Contain("temporarily_unavailable"));
            Assert.That(body, Does.Not.Contain("Npgsql").And.Not.Contain("Exception").And.Not.Contain("pool"));
        });
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Migrate_works_while_the_api_holds_its_whole_pool()
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync("fullload", migrate: false);
        await using var api = Postgres.CreateDataSource(connectionString, "ResourceApi");
        var pool = new NpgsqlConnectionStringBuilder(api.ConnectionString).MaxPoolSize;
        var held = new List<NpgsqlConnection>();
        try
        {
            for (var i = 0; i < pool; i++)
            {
                held.Add(await api.OpenConnectionAsync());
            }

            var exit = await OpsCli.RunAsync(["migrate"], TextWriter.Null, TextWriter.Null,
                new Dictionary<string, string?> { ["DATABASE_URL"] = connectionString });
            Assert.That(exit, Is.Zero, $"migrate with all {pool} API connections in use");
        }
        finally
        {
            foreach (var connection in held)
            {
                await connection.DisposeAsync();
            }
        }
    }
}
