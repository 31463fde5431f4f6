using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Security.Tests.Infrastructure;
using TokenService.Crypto;
using TokenService.Token;

namespace Security.Tests.Limits;

/// <summary>
/// Issue 6 point 4: a flood of wrong secrets cannot exhaust memory (Argon2id runs at most ProcessorCount at a time,
/// each holding m = 19 MiB) nor CPU beyond the failed-authentication limit, and a warm client keeps getting tokens.
/// </summary>
public sealed class Argon2FloodTests
{
    /// <summary>
    /// The documented bound for the flood below: the process's managed heap may grow by at most this much. Unbounded,
    /// 200 concurrent hashes would hold 200 × 19 MiB ≈ 3.7 GiB; bounded, ProcessorCount × 19 MiB plus garbage not yet
    /// collected, which stays far under this figure on any core count we run on (≤ 8).
    /// </summary>
    public const long MaxHeapGrowthBytes = 768L * 1024 * 1024;

    private SecurityStack stack = null!;
    private (string ClientId, string Secret) warm;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        stack = await SecurityStack.StartAsync("flood");
        warm = await stack.CreateApplicationAsync("metric:query");
        await stack.TokenAsync(warm.ClientId, warm.Secret);
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await stack.DisposeAsync();

    private static HttpRequestMessage WrongSecret(string clientId, string? address)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/oauth2/token")
        {
            Content = new FormUrlEncodedContent(
            [
                KeyValuePair.Create("grant_type", "client_credentials"), KeyValuePair.Create("client_id", clientId),
                KeyValuePair.Create("client_secret", "wrong-" + Guid.NewGuid()),
            ]),
        };
        if (address is not null)
        {
            request.Headers.Add(TestAddress.Header, address);
        }

        return request;
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Burst_of_200_wrong_secrets_keeps_memory_bounded_and_a_warm_client_served()
    {
        var hasher = stack.Tokens.Services.GetRequiredService<Argon2idHasher>();
        // Each request from its own address and for its own unknown id: no limit applies, every one is hashed.
        GC.Collect();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var peak = baseline;
        var maxInFlightHashing = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(false));
                maxInFlightHashing = Math.Max(maxInFlightHashing, hasher.InFlight);
                await Task.Delay(5);
            }
        });

        var flood = Enumerable.Range(0, 200).Select(async i =>
        {
            using var request = WrongSecret($"flood-{i}-{Guid.NewGuid():N}", $"10.9.{i / 250}.{i % 250 + 1}");
            using var response = await stack.TokenClient.SendAsync(request);
            return response.StatusCode;
        }).ToList();

        // Meanwhile the warm client, whose secret is proven already, is served without waiting for a hash slot.
        var warmClock = Stopwatch.StartNew();
        var warmToken = await stack.TokenAsync(warm.ClientId, warm.Secret);
        warmClock.Stop();
        var statuses = await Task.WhenAll(flood);
        await sampling.CancelAsync();
        await sampler;

        var growth = peak - baseline;
        TestContext.Out.WriteLine($"200 concurrent wrong secrets: managed heap peak +{growth / (1024 * 1024)} MiB (bound {MaxHeapGrowthBytes / (1024 * 1024)} MiB), " +
                                  $"at most {maxInFlightHashing} waiting or hashing, {Environment.ProcessorCount} cores; warm client served in {warmClock.ElapsedMilliseconds} ms");
        Assert.Multiple(() =>
        {
            Assert.That(statuses, Is.All.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(growth, Is.LessThan(MaxHeapGrowthBytes));
            Assert.That(warmToken, Is.Not.Empty);
            Assert.That(warmClock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "the warm path never waits for Argon2id");
        });
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Concurrent_burst_from_one_address_is_hashed_at_most_up_to_the_limit()
    {
        var hasher = stack.Tokens.Services.GetRequiredService<Argon2idHasher>();
        var before = hasher.Verifications;
        var address = "10.77.0.1";
        var statuses = await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            using var request = WrongSecret($"burst-{i}-{Guid.NewGuid():N}", address);
            using var response = await stack.TokenClient.SendAsync(request);
            return (response.StatusCode, RetryAfter: response.Headers.RetryAfter?.Delta);
        }));
        var hashed = hasher.Verifications - before;
        TestContext.Out.WriteLine($"200 concurrent wrong secrets from one address: {hashed} Argon2id verifications, " +
                                  $"{statuses.Count(s => s.StatusCode == HttpStatusCode.TooManyRequests)} answered 429");
        Assert.Multiple(() =>
        {
            Assert.That(hashed, Is.LessThanOrEqualTo(FailedAuthenticationLimiter.MaxFailuresPerAddress),
                "the per-address limit must hold for a concurrent burst, not only for sequential requests");
            Assert.That(statuses.Where(s => s.StatusCode == HttpStatusCode.TooManyRequests).Select(s => s.RetryAfter), Is.All.Not.Null);
            Assert.That(statuses.Select(s => s.StatusCode), Is.All.AnyOf(HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests));
        });
    }
}
