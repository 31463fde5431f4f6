using System.Net;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TestSupport;
using TokenService.Caching;
using TokenService.Changes;
using TokenService.Cli;
using TokenService.Crypto;

namespace TokenService.Tests.Token;

/// <summary>
/// The verified-credential and application caches make warm requests skip Argon2id and the database; these tests
/// prove every change behaves exactly as it would without them, including changes made by another process.
/// </summary>
public sealed class CredentialCacheTests
{
    private TokenServiceHost host = null!;
    private HttpClient client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("cache"));
        client = await host.CreateReadyClientAsync();
        await WaitUntilAsync(() => host.Services.GetRequiredService<ChangeListener>().Listening);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        client.Dispose();
        await host.DisposeAsync();
    }

    private async Task<HttpResponseMessage> TokenAsync(string id, string secret, string? scope = null)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = id, ["client_secret"] = secret };
        if (scope is not null)
        {
            form["scope"] = scope;
        }

        return await client.PostAsync("/oauth2/token", new FormUrlEncodedContent(form));
    }

    private async Task<HttpStatusCode> StatusAsync(string id, string secret, string? scope = null)
    {
        using var response = await TokenAsync(id, secret, scope);
        return response.StatusCode;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(20);
        }
    }

    /// <summary>Polls for up to 2 s: another process's change reaches us by LISTEN/NOTIFY, not synchronously.</summary>
    private async Task<HttpStatusCode> EventuallyAsync(string id, string secret, HttpStatusCode expected, string? scope = null)
    {
        var status = HttpStatusCode.OK;
        for (var i = 0; i < 40; i++)
        {
            status = await StatusAsync(id, secret, scope);
            if (status == expected)
            {
                break;
            }

            await Task.Delay(50);
        }

        return status;
    }

    private async Task<int> RunCliAsync(params string[] args) =>
        await OpsCli.RunAsync(args, TextWriter.Null, TextWriter.Null, new Dictionary<string, string?> { ["DATABASE_URL"] = host.ConnectionString });

    [Test]
    public async Task A_warm_request_skips_argon2id_and_the_database()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        var hasher = host.Services.GetRequiredService<Argon2idHasher>();
        var cache = host.Services.GetRequiredService<ApplicationCache>();
        Assert.That(await StatusAsync(id, secret), Is.EqualTo(HttpStatusCode.OK));
        var (verifications, hits) = (hasher.Verifications, cache.Hits);
        for (var i = 0; i < 10; i++)
        {
            Assert.That(await StatusAsync(id, secret), Is.EqualTo(HttpStatusCode.OK));
        }

        Assert.Multiple(() =>
        {
            Assert.That(hasher.Verifications - verifications, Is.Zero);
            Assert.That(cache.Hits - hits, Is.EqualTo(10));
        });
    }

    [Test]
    public async Task A_wrong_secret_never_populates_the_cache_and_stays_wrong()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        var hasher = host.Services.GetRequiredService<Argon2idHasher>();
        Assert.That(await StatusAsync(id, secret + "x"), Is.EqualTo(HttpStatusCode.Unauthorized));
        var before = hasher.Verifications;
        Assert.Multiple(async () =>
        {
            Assert.That(await StatusAsync(id, secret + "x"), Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(hasher.Verifications - before, Is.EqualTo(1), "a wrong secret is verified again, not remembered");
        });
    }

    [Test]
    public async Task A_cached_secret_does_not_let_a_similar_one_through()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        await StatusAsync(id, secret);
        Assert.Multiple(async () =>
        {
            Assert.That(await StatusAsync(id, secret[..^1]), Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(await StatusAsync(id, secret.ToUpperInvariant()), Is.EqualTo(HttpStatusCode.Unauthorized));
        });
    }

    [Test]
    public async Task A_secret_rotated_by_another_process_stops_working_within_two_seconds()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        Assert.That(await StatusAsync(id, secret), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await RunCliAsync("applications", "rotate-secret", id), Is.EqualTo(OpsCli.Ok));
        Assert.That(await EventuallyAsync(id, secret, HttpStatusCode.Unauthorized), Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task An_application_deleted_by_another_process_stops_working_within_two_seconds()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        Assert.That(await StatusAsync(id, secret), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await RunCliAsync("applications", "delete", id), Is.EqualTo(OpsCli.Ok));
        Assert.That(await EventuallyAsync(id, secret, HttpStatusCode.Unauthorized), Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task A_scope_removed_in_the_database_is_refused_within_two_seconds()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query", "metric:stats");
        Assert.That(await StatusAsync(id, secret, "metric:stats"), Is.EqualTo(HttpStatusCode.OK));
        await using (var connection = new NpgsqlConnection(host.ConnectionString))
        {
            await connection.ExecuteAsync("UPDATE applications SET scopes = '{metric:query}' WHERE client_id = @id", new { id });
        }

        Assert.That(await EventuallyAsync(id, secret, HttpStatusCode.BadRequest, "metric:stats"), Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task A_rotation_in_this_process_takes_effect_immediately()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        await StatusAsync(id, secret);
        var rotated = await host.Services.GetRequiredService<TokenService.Applications.Applications>().RotateSecretAsync(id, default);
        Assert.Multiple(async () =>
        {
            Assert.That(await StatusAsync(id, secret), Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(await StatusAsync(id, rotated!.Secret!), Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task Repeated_wrong_secrets_get_429_with_retry_after_but_a_proven_secret_keeps_working()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        Assert.That(await StatusAsync(id, secret), Is.EqualTo(HttpStatusCode.OK));
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < FailedAuthenticationLimiterLimit + 2; i++)
        {
            statuses.Add(await StatusAsync(id, "tss_guess" + i));
        }

        using var limited = await TokenAsync(id, "tss_guess-again");
        Assert.Multiple(async () =>
        {
            Assert.That(statuses.Take(FailedAuthenticationLimiterLimit), Is.All.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(limited.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(limited.Headers.RetryAfter?.Delta, Is.GreaterThan(TimeSpan.Zero));
            Assert.That(await StatusAsync(id, secret), Is.EqualTo(HttpStatusCode.OK), "the cached, proven secret is not held back");
        });
    }

    [Test]
    public async Task Refusals_are_held_back_while_a_proven_secret_is_answered_at_once()
    {
        await using var tarpit = new TokenServiceHost(host.ConnectionString, new Dictionary<string, string?>
        {
            ["KEY_ENCRYPTION_KEY"] = host.KeyEncryptionKey,
            ["RateLimitRefusalDelayMilliseconds"] = "600",
        });
        using var tarpitClient = await tarpit.CreateReadyClientAsync();
        var (id, secret) = await tarpit.CreateApplicationAsync(null, "metric:query");
        await TokenServiceHost.GetTokenAsync(tarpitClient, id, secret);
        for (var i = 0; i < FailedAuthenticationLimiterLimit; i++)
        {
            using var _ = await PostAsync(tarpitClient, id, "tss_guess" + i);
        }

        var refused = System.Diagnostics.Stopwatch.StartNew();
        var refusal = PostAsync(tarpitClient, id, "tss_guess-again");
        var warm = System.Diagnostics.Stopwatch.StartNew();
        await TokenServiceHost.GetTokenAsync(tarpitClient, id, secret);
        warm.Stop();
        using var response = await refusal;
        refused.Stop();
        TestContext.Out.WriteLine($"refusal answered after {refused.ElapsedMilliseconds} ms; warm request meanwhile {warm.ElapsedMilliseconds} ms");
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(refused.ElapsedMilliseconds, Is.GreaterThanOrEqualTo(550));
            Assert.That(warm.ElapsedMilliseconds, Is.LessThan(refused.ElapsedMilliseconds));
        });
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient httpClient, string id, string secret) =>
        httpClient.PostAsync("/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = id, ["client_secret"] = secret,
        }));

    private const int FailedAuthenticationLimiterLimit = TokenService.Token.FailedAuthenticationLimiter.MaxFailuresPerClient;
}
