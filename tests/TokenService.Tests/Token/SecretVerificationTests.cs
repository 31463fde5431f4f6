using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using TestSupport;
using TokenService.Caching;
using TokenService.Crypto;
using TokenService.Token;

namespace TokenService.Tests.Token;

/// <summary>
/// Issue 12 points 1–3: one verifier for client secrets. Concurrent checks of one client id and secret share one
/// Argon2id computation, a correct secret never counts as a failure, and a proven secret is renewed in the
/// background before it expires, so neither a fleet start nor a cache expiry nor a cache clear costs more than one
/// verification per client.
/// </summary>
[Category("Timing")]
public sealed partial class SecretVerificationTests
{
    /// <summary>Short, so the renewal test runs past several lifetimes in a few seconds.</summary>
    private const int CacheSeconds = 2;

    private TokenServiceHost host = null!;
    private HttpClient client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("verifier"),
            new Dictionary<string, string?> { ["ProvenSecretCacheSeconds"] = CacheSeconds.ToString(CultureInfo.InvariantCulture) });
        client = await host.CreateReadyClientAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        client.Dispose();
        await host.DisposeAsync();
    }

    private long Verifications => host.Services.GetRequiredService<Argon2idHasher>().Verifications;

    private async Task<(HttpStatusCode Status, TimeSpan Elapsed)> TokenAsync(string id, string secret)
    {
        var clock = Stopwatch.StartNew();
        using var response = await client.PostAsync("/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = id,
            ["client_secret"] = secret,
        }));
        await response.Content.ReadAsStringAsync();
        return (response.StatusCode, clock.Elapsed);
    }

    private async Task<(HttpStatusCode Status, TimeSpan Elapsed)[]> BurstAsync(int count, string id, string secret)
    {
        // An awaited gate, not a blocking one: 300 thread-pool threads parked in Wait() starved the pool, and the
        // burst then measured the pool's thread injection instead of the service.
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var requests = Enumerable.Range(0, count).Select(async _ =>
        {
            await start.Task;
            return await TokenAsync(id, secret);
        }).ToArray();
        start.SetResult();
        return await Task.WhenAll(requests);
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Fleet_of_300_concurrent_first_requests_all_get_tokens_from_one_Argon2_verification()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        var before = Verifications;
        var metricBefore = await ScrapeAsync();

        var results = await BurstAsync(300, id, secret);

        var metricAfter = await ScrapeAsync();
        var verified = metricAfter.Count - metricBefore.Count;
        var oneVerification = TimeSpan.FromSeconds((metricAfter.Sum - metricBefore.Sum) / Math.Max(1, verified));
        var p99 = results.Select(r => r.Elapsed).Order().ElementAt(296);
        // The same burst once the secret is proven: what 300 concurrent token requests cost here without any Argon2id
        // (RSA signing and HTTP in this Debug process). The tests' Argon2id parameters are light, so the burst itself
        // is no longer small beside one verification; the cold burst may cost at most 3 verifications more than it.
        // Without single flight the 300 verifications would queue on the two cores (~100 × one verification).
        // `make bench fleet` checks the issue's absolute figure (p99 ≤ 3 × one verification) in Release.
        var warm = await BurstAsync(300, id, secret);
        var warmP99 = warm.Select(r => r.Elapsed).Order().ElementAt(296);
        TestContext.Out.WriteLine($"300 concurrent first requests: {Verifications - before} Argon2id verifications (metric: {verified}), " +
                                  $"one took {oneVerification.TotalMilliseconds:F0} ms, p99 {p99.TotalMilliseconds:F0} ms " +
                                  $"(warm burst p99 {warmP99.TotalMilliseconds:F0} ms, target ≤ " +
                                  $"{(warmP99 + 3 * oneVerification).TotalMilliseconds:F0} ms)");
        Assert.Multiple(() =>
        {
            Assert.That(results.Select(r => r.Status), Is.All.EqualTo(HttpStatusCode.OK));
            Assert.That(warm.Select(r => r.Status), Is.All.EqualTo(HttpStatusCode.OK));
            Assert.That(Verifications - before, Is.EqualTo(1), "one Argon2id computation shared by the whole burst");
            Assert.That(verified, Is.EqualTo(1), "tokenservice_argon2_verification_duration_seconds_count shows the one verification");
            Assert.That(p99, Is.LessThanOrEqualTo(warmP99 + 3 * oneVerification));
        });
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Correct_secret_in_flight_is_never_counted_as_a_failure()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        var burst = await BurstAsync(100, id, secret);
        host.Services.GetRequiredService<VerifiedSecretCache>().Clear();
        var again = await BurstAsync(100, id, secret);

        // Had any of those correct requests counted, the budget would be spent before the last wrong secret.
        var wrong = new List<HttpStatusCode>();
        for (var i = 0; i < FailedAuthenticationLimiter.MaxFailuresPerClient; i++)
        {
            wrong.Add((await TokenAsync(id, "wrong-" + i)).Status);
        }

        var overBudget = await TokenAsync(id, "wrong-last");
        Assert.Multiple(() =>
        {
            Assert.That(burst.Concat(again).Select(r => r.Status), Is.All.EqualTo(HttpStatusCode.OK));
            Assert.That(wrong, Is.All.EqualTo(HttpStatusCode.Unauthorized), "the whole failure budget is still there");
            Assert.That(overBudget.Status, Is.EqualTo(HttpStatusCode.TooManyRequests), "and it is spent by failures only");
        });
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Proven_secret_is_renewed_ahead_of_expiry_so_steady_traffic_never_waits_for_Argon2()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        Assert.That((await TokenAsync(id, secret)).Status, Is.EqualTo(HttpStatusCode.OK));
        var cache = host.Services.GetRequiredService<VerifiedSecretCache>();
        var before = Verifications;
        var missesBefore = cache.Misses;
        var statuses = new List<HttpStatusCode>();
        var run = TimeSpan.FromSeconds(3 * CacheSeconds);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < run)
        {
            statuses.Add((await TokenAsync(id, secret)).Status);
            await Task.Delay(20);
        }

        var verifications = Verifications - before;
        // Renewal starts at 3/4 of the lifetime: over 3 lifetimes that is at most 4 background verifications.
        var bound = (long)Math.Ceiling(run.TotalSeconds / (0.75 * CacheSeconds));
        TestContext.Out.WriteLine($"{statuses.Count} requests over {run.TotalSeconds} s (cache {CacheSeconds} s): " +
                                  $"{verifications} background verifications (bound {bound}), {cache.Misses - missesBefore} cache misses");
        Assert.Multiple(() =>
        {
            Assert.That(statuses, Is.All.EqualTo(HttpStatusCode.OK));
            Assert.That(cache.Misses - missesBefore, Is.Zero, "no request found the entry expired: renewal came first");
            Assert.That(verifications, Is.InRange(2, bound), "renewed more than once, and at most once per renewal period");
        });
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Cache_clear_costs_one_verification_per_client_not_one_per_connection()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        Assert.That((await TokenAsync(id, secret)).Status, Is.EqualTo(HttpStatusCode.OK));
        host.Services.GetRequiredService<VerifiedSecretCache>().Clear();
        host.Services.GetRequiredService<ApplicationCache>().Clear();
        var before = Verifications;

        var results = await BurstAsync(64, id, secret);

        Assert.Multiple(() =>
        {
            Assert.That(results.Select(r => r.Status), Is.All.EqualTo(HttpStatusCode.OK));
            Assert.That(Verifications - before, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Concurrent_identical_wrong_secrets_share_one_verification_and_all_get_invalid_client()
    {
        var (id, _) = await host.CreateApplicationAsync(null, "metric:query");
        var before = Verifications;
        var results = await BurstAsync(50, id, "the-same-wrong-secret");
        Assert.Multiple(() =>
        {
            Assert.That(results.Select(r => r.Status), Is.All.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(Verifications - before, Is.LessThanOrEqualTo(2),
                "joined, not repeated (at most a second flight started as the first ended)");
        });
    }

    private async Task<(double Count, double Sum)> ScrapeAsync()
    {
        // The exporter answers repeated scrapes within 300 ms from a cache (a guard against scrape floods, see
        // MetricsTests): a burst that a warm verifier serves in less than that would otherwise read the scrape from before it.
        await Task.Delay(350);
        var text = await client.GetStringAsync("/metrics");
        double Total(string name) => Sample().Matches(text).Where(m => m.Groups["name"].Value == name)
            .Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));
        return (Total("tokenservice_argon2_verification_duration_seconds_count"),
            Total("tokenservice_argon2_verification_duration_seconds_sum"));
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex Sample();
}
