using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.Extensions.DependencyInjection;
using TestSupport;
using TokenService.Token;

namespace EndToEnd.Tests;

/// <summary>
/// Issue 18 points 4 and 5: two TokenService instances on one database behind a real HAProxy (tests/TestSupport/HaProxy.cs,
/// the configuration docs/operations.md gives). A rolling restart (each instance stopped gracefully, as on SIGTERM, and
/// started again on its port) fails no request at the balancer; an abrupt stop loses at most the requests in flight;
/// failure limits count the address HAProxy forwards, not HAProxy's own, and a forged X-Forwarded-For changes nothing.
/// </summary>
[NonParallelizable]
public sealed class LoadBalancerTests
{
    /// <summary>Closed-loop callers during the restarts: each sends its next request as soon as the last one answered.</summary>
    private const int Concurrency = 16;

    private static readonly IPAddress Stranger = IPAddress.Parse("127.0.0.2");

    private readonly Dictionary<string, (int Port, TokenServiceHost Host)> instances = [];
    private string database = null!;
    private string keyEncryptionKey = null!;
    private HaProxy proxy = null!;
    private HttpClient client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        if (HaProxy.Binary is null)
        {
            Assert.Ignore("haproxy is not installed: scripts/install-prerequisites.sh --browser installs it");
        }

        database = await PostgresServer.CreateDatabaseAsync("loadbalancer");
        // Both instances must unseal the same signing keys.
        keyEncryptionKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        foreach (var name in new[] { "a", "b" })
        {
            var port = Loopback.FreePort();
            instances[name] = (port, Start(port));
        }

        proxy = await HaProxy.StartAsync([.. instances.Select(i => (i.Key, i.Value.Port))]);
        await proxy.WaitForAsync("a", "UP");
        await proxy.WaitForAsync("b", "UP");
        client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Concurrency * 2 })
        {
            BaseAddress = proxy.BaseAddress,
            Timeout = TimeSpan.FromSeconds(15),
        };
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        client?.Dispose();
        if (proxy is not null)
        {
            await proxy.DisposeAsync();
        }

        foreach (var (_, host) in instances.Values)
        {
            await host.DisposeAsync();
        }
    }

    [Test]
    public async Task Requests_through_the_balancer_reach_both_instances()
    {
        var (id, secret) = await instances["a"].Host.CreateApplicationAsync();
        var servedBy = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            var outcome = await TokenAsync(client, id, secret);
            Assert.That(outcome.Ok, Is.True, outcome.Failure);
            servedBy.Add(outcome.ServedBy!);
        }

        Assert.That(servedBy.Distinct().Order(), Is.EqualTo(new[] { "a", "b" }), string.Join(",", servedBy));
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task A_rolling_restart_of_every_instance_under_load_fails_no_request()
    {
        var (id, secret) = await instances["a"].Host.CreateApplicationAsync();
        var load = await StartLoadAsync(id, secret);

        foreach (var name in new[] { "a", "b" })
        {
            // The SIGTERM path: the host's StopAsync, which drains first (/readyz 503, still serving), then stops Kestrel.
            await instances[name].Host.DisposeAsync();
            await RestartAsync(name);
            await Task.Delay(300);
        }

        var result = await load.StopAsync();
        TestContext.Out.WriteLine($"rolling restart: {result.Succeeded} token requests answered 200, {result.Failures.Count} failed, " +
                                  $"served by {string.Join(", ", result.ServedBy.OrderBy(s => s.Key).Select(s => $"{s.Key}={s.Value}"))}");
        Assert.Multiple(() =>
        {
            Assert.That(result.Failures, Is.Empty, "a rolling restart fails no request");
            Assert.That(result.Succeeded, Is.GreaterThan(Concurrency * 10), "the load ran through the whole restart");
        });
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Stopping_an_instance_abruptly_under_load_loses_at_most_the_requests_in_flight()
    {
        var (id, secret) = await instances["a"].Host.CreateApplicationAsync();
        var load = await StartLoadAsync(id, secret);

        // No drain: every connection is aborted at once and the listener closed, as when the process dies.
        var (_, host) = instances["a"];
        await host.Services.GetRequiredService<IServer>().StopAsync(new CancellationToken(canceled: true));
        await proxy.WaitForAsync("a", "DOWN");
        await Task.Delay(300);
        await host.DisposeAsync();
        await RestartAsync("a");
        await Task.Delay(300);

        var result = await load.StopAsync();
        TestContext.Out.WriteLine($"abrupt stop: {result.Succeeded} token requests answered 200, {result.Failures.Count} failed " +
                                  $"({string.Join("; ", result.Failures.Distinct())})");
        Assert.That(result.Failures, Has.Count.LessThanOrEqualTo(Concurrency), "at most the requests in flight are lost");
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Failure_limits_fall_on_the_address_haproxy_forwards_and_a_forged_header_changes_nothing()
    {
        using var stranger = FromAddress(Stranger);
        using var flood = new CancellationTokenSource();
        var statuses = new ConcurrentQueue<(HttpStatusCode Status, string? ServedBy, bool Forged)>();
        // Half the flood says it comes from 127.0.0.1 (where the legitimate caller is). HAProxy appends the address it saw
        // after the forged one, and only the last hop (HAProxy's own report) is believed.
        var floods = Enumerable.Range(0, 4).Select(i => Task.Run(async () =>
        {
            var forged = i % 2 == 1;
            while (!flood.IsCancellationRequested)
            {
                var outcome = await TokenAsync(stranger, "flood-" + Guid.NewGuid().ToString("N")[..12], "wrong",
                    forwardedFor: forged ? "127.0.0.1" : null);
                statuses.Enqueue((outcome.Status, outcome.ServedBy, forged));
            }
        })).ToArray();

        // Each instance counts on its own: wait until both have had the stranger's 60 failures of this window.
        var full = false;
        for (var waited = 0; waited < 400 && !full; waited++)
        {
            await Task.Delay(50);
            full = new[] { "a", "b" }.All(s => statuses.Count(r => r.ServedBy == s && r.Status == HttpStatusCode.Unauthorized) >=
                                               FailedAuthenticationLimiter.MaxFailuresPerAddress);
        }

        // During the flood: new applications (the first request needs an Argon2id verification) from 127.0.0.1, and a
        // mistyped secret from there, which is a plain 401: none of the flood's failures, forged or not, fell on 127.0.0.1.
        var legitimate = new List<Outcome>();
        foreach (var _ in Enumerable.Range(0, 2))
        {
            var (id, secret) = await instances["a"].Host.CreateApplicationAsync();
            legitimate.Add(await TokenAsync(client, id, secret));
        }

        var mistyped = await TokenAsync(client, "mistyped-" + Guid.NewGuid().ToString("N")[..12], "wrong");
        await flood.CancelAsync();
        await Task.WhenAll(floods);

        var refusals = instances.Values.Sum(i => i.Host.Services.GetRequiredService<FailedAuthenticationLimiter>().Refusals);
        var tooMany = statuses.Count(s => s.Status == HttpStatusCode.TooManyRequests);
        var forgedTooMany = statuses.Count(s => s.Forged && s.Status == HttpStatusCode.TooManyRequests);
        TestContext.Out.WriteLine($"flood from {Stranger}: {statuses.Count} requests ({statuses.Count(s => s.Forged)} with a forged " +
                                  $"X-Forwarded-For), {tooMany} answered 429 ({forgedTooMany} forged), " +
                                  $"{statuses.Count(s => s.Status == HttpStatusCode.Unauthorized)} 401; limiter refusals {refusals}");
        Assert.Multiple(() =>
        {
            Assert.That(full, Is.True, "both instances reached the per-address limit");
            Assert.That(forgedTooMany, Is.GreaterThan(0), "forged requests are refused with the stranger's");
            Assert.That(legitimate.Select(l => l.Status), Is.All.EqualTo(HttpStatusCode.OK),
                string.Join("; ", legitimate.Select(l => l.Failure)));
            Assert.That(mistyped.Status, Is.EqualTo(HttpStatusCode.Unauthorized), "the stranger's failures were not 127.0.0.1's");
            Assert.That(statuses.Select(s => s.Status), Is.All.AnyOf(HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests));
        });
    }

    private TokenServiceHost Start(int port)
    {
        var host = new TokenServiceHost(database, new Dictionary<string, string?>
        {
            ["KEY_ENCRYPTION_KEY"] = keyEncryptionKey,
            // HAProxy connects from 127.0.0.1: its X-Forwarded-For is believed, anyone else's is not.
            ["ForwardedHeaders:KnownProxies:0"] = "127.0.0.1",
            // Health checks every 200 ms take it out at the first 503: one second is five checks.
            ["Shutdown:DrainSeconds"] = "1",
            // The tarpit on, briefly: a flood's refused requests then come back ten times a second per loop, not as fast as
            // the CPU allows, so they do not starve the verifications the limit test waits for (production waits 1 s).
            ["RateLimitRefusalDelayMilliseconds"] = "100",
        });
        host.StartOnLoopback(port);
        return host;
    }

    /// <summary>A new instance on the old one's port, once HAProxy sends it requests again.</summary>
    private async Task RestartAsync(string name)
    {
        var port = instances[name].Port;
        instances[name] = (port, Start(port));
        await proxy.WaitForAsync(name, "UP");
    }

    private async Task<Load> StartLoadAsync(string id, string secret)
    {
        // Warm on both instances: the load measures the restarts, not the first Argon2id verification.
        for (var i = 0; i < 4; i++)
        {
            var warm = await TokenAsync(client, id, secret);
            Assert.That(warm.Ok, Is.True, warm.Failure);
        }

        var load = new Load();
        load.Start(Concurrency, () => TokenAsync(client, id, secret));
        await Task.Delay(500);
        return load;
    }

    private sealed class Load
    {
        private readonly CancellationTokenSource stop = new();
        private readonly ConcurrentQueue<string> failures = new();
        private readonly ConcurrentDictionary<string, int> servedBy = new();
        private Task[] loops = [];
        private int succeeded;

        public void Start(int concurrency, Func<Task<Outcome>> call) =>
            loops = [.. Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    var outcome = await call();
                    if (outcome.Ok)
                    {
                        Interlocked.Increment(ref succeeded);
                        servedBy.AddOrUpdate(outcome.ServedBy ?? "?", 1, (_, n) => n + 1);
                    }
                    else
                    {
                        failures.Enqueue(outcome.Failure!);
                    }
                }
            }))];

        public async Task<(int Succeeded, List<string> Failures, Dictionary<string, int> ServedBy)> StopAsync()
        {
            await stop.CancelAsync();
            await Task.WhenAll(loops);
            stop.Dispose();
            return (succeeded, [.. failures], new Dictionary<string, int>(servedBy));
        }
    }

    private sealed record Outcome(HttpStatusCode Status, string? ServedBy, string? Failure)
    {
        public bool Ok => Failure is null;
    }

    /// <summary>One client_credentials request; a failure is anything but 200 with an access token (never an exception).</summary>
    private static async Task<Outcome> TokenAsync(HttpClient http, string clientId, string secret, string? forwardedFor = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth2/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret,
            }),
        };
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }

        try
        {
            using var response = await http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            var servedBy = response.Headers.TryGetValues(HaProxy.ServedBy, out var values) ? values.First() : null;
            var token = response.StatusCode == HttpStatusCode.OK &&
                        JsonDocument.Parse(body).RootElement.TryGetProperty("access_token", out var t) && t.GetString() is { Length: > 0 };
            return new Outcome(response.StatusCode, servedBy, token ? null : $"{(int)response.StatusCode} {body}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
        {
            return new Outcome(0, null, e.GetType().Name + ": " + e.Message);
        }
    }

    private HttpClient FromAddress(IPAddress source) => Loopback.ClientFrom(source, proxy.BaseAddress, TimeSpan.FromSeconds(15));
}
