using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using Security.Tests.Infrastructure;

namespace Security.Tests.Corpus;

/// <summary>
/// Issue 6 point 2: a seeded corpus of hostile requests (10,000 to the token endpoint, a share to authorize, login,
/// introspection and GraphQL) produces no 5xx; every token endpoint error is a well-formed RFC 6749 error; and the
/// service still issues tokens afterwards. Set SECURITY_CORPUS_SEED to replay a printed seed.
/// </summary>
[Category("Timing")]
public sealed class HostileInputCorpusTests
{
    public const int TokenRequests = 10_000;
    public const int PerOtherTarget = 600;

    private SecurityStack stack = null!;
    private (string ClientId, string Secret) app;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        stack = await SecurityStack.StartAsync("corpus");
        app = await stack.CreateApplicationAsync("metric:query", "data_pool:query");
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await stack.DisposeAsync();

    [Test]
    [CancelAfter(120_000)]
    public async Task Hostile_corpus_gets_no_5xx_and_only_well_formed_oauth_errors()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("SECURITY_CORPUS_SEED"), out var s) ? s : 20_240_606;
        TestContext.Out.WriteLine($"hostile corpus seed: {seed} (replay with SECURITY_CORPUS_SEED={seed})");

        // The warm client: proven once, so the requests below cannot lock it out (the verified-secret cache).
        var bearer = await stack.TokenAsync(app.ClientId, app.Secret);
        var corpus = new HostileRequests(seed, app.ClientId, app.Secret, bearer).Generate(TokenRequests, PerOtherTarget).ToList();

        var failures = new ConcurrentQueue<string>();
        var statuses = new ConcurrentDictionary<string, int>();
        var costs = new ConcurrentDictionary<string, long>();
        var hasher = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions
            .GetRequiredService<TokenService.Crypto.Argon2idHasher>(stack.Tokens.Services);
        var hashesBefore = hasher.Verifications;
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(corpus, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (request, ct) =>
        {
            var client = request.Target == Target.GraphQL ? stack.ApiClient : stack.TokenClient;
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var message = request.ToMessage();
                using var response = await client.SendAsync(message, ct);
                var body = await response.Content.ReadAsStringAsync(ct);
                statuses.AddOrUpdate($"{request.Target} {(int)response.StatusCode}", 1, (_, n) => n + 1);
                var ms = (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                costs.AddOrUpdate($"{request.Target}/{request.Kind}", ms, (_, n) => n + ms);
                if ((int)response.StatusCode >= 500 && response.StatusCode != HttpStatusCode.ServiceUnavailable)
                {
                    failures.Enqueue($"{(int)response.StatusCode} for {request}");
                }
                else if (request.Target == Target.Token && request.Method == HttpMethod.Post &&
                         OAuthErrorShape.Problem(response.StatusCode, response.Content.Headers.ContentType?.ToString(),
                             response.Headers.CacheControl?.ToString(), response.Headers.RetryAfter is not null, body) is { } problem)
                {
                    failures.Enqueue($"{problem} ({(int)response.StatusCode} {body[..Math.Min(body.Length, 200)]}) for {request}");
                }
                else if (request.Target == Target.Token && request.Method != HttpMethod.Post && response.StatusCode != HttpStatusCode.MethodNotAllowed)
                {
                    failures.Enqueue($"{(int)response.StatusCode} instead of 405 for {request}");
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // TestServer rethrows what the application did not handle: that is a 500 in production.
                failures.Enqueue($"unhandled {e.GetType().Name}: {e.Message} for {request}");
            }
        });
        clock.Stop();

        TestContext.Out.WriteLine($"{corpus.Count} requests ({corpus.Count(r => r.Target == Target.Token)} to the token endpoint) in {clock.Elapsed.TotalSeconds:F1} s");
        foreach (var (key, count) in statuses.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            TestContext.Out.WriteLine($"  {key}: {count}");
        }

        TestContext.Out.WriteLine($"Argon2id verifications during the corpus: {hasher.Verifications - hashesBefore}");
        foreach (var (key, ms) in costs.OrderByDescending(p => p.Value).Take(8))
        {
            TestContext.Out.WriteLine($"  time in {key}: {ms / 1000.0:F1} s");
        }

        foreach (var failure in failures.Take(20))
        {
            TestContext.Out.WriteLine("FAIL " + failure);
        }

        Assert.Multiple(() =>
        {
            Assert.That(corpus.Count(r => r.Target == Target.Token), Is.GreaterThanOrEqualTo(10_000));
            Assert.That(failures, Is.Empty, $"{failures.Count} bad responses; first: {failures.FirstOrDefault()}");
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromMinutes(2)));
        });

        await Valid_requests_still_succeed_afterwards();
    }

    private async Task Valid_requests_still_succeed_afterwards()
    {
        // The warm client keeps working; a client never seen before, from another address, authenticates from cold.
        var warm = await stack.TokenAsync(app.ClientId, app.Secret);
        var fresh = await stack.CreateApplicationAsync("metric:query");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth2/token")
        {
            Content = new FormUrlEncodedContent([KeyValuePair.Create("grant_type", "client_credentials")]),
        };
        request.Headers.Authorization = TestSupport.TokenServiceHost.Basic(fresh.ClientId, fresh.Secret);
        request.Headers.Add(TestAddress.Header, "192.0.2.55");
        using var cold = await stack.TokenClient.SendAsync(request);

        using var graphql = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new StringContent("{\"query\":\"{ __typename }\"}", System.Text.Encoding.UTF8, "application/json"),
        };
        graphql.Headers.Authorization = new AuthenticationHeaderValue("Bearer", warm);
        using var api = await stack.ApiClient.SendAsync(graphql);
        Assert.Multiple(() =>
        {
            Assert.That(warm, Is.Not.Empty);
            Assert.That(cold.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(api.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }
}
