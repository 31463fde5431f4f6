using System.Net;
using Microsoft.Extensions.DependencyInjection;
using ResourceApi.Auth;
using ResourceApi.Tests.Infrastructure;
using Shared.Protocol;
using TestSupport;

namespace ResourceApi.Tests;

/// <summary>
/// Basic credentials of server-side callers, exchanged at the real token endpoint. A ResourceApi of its own counts
/// the requests its token-endpoint HttpClient makes, so cache hits and single flight are observed, not assumed.
/// </summary>
public sealed class BasicAuthTests
{
    private ResourceApiHost api = null!;
    private HttpClient client = null!;
    private TokenEndpointCounter counter = null!;

    [OneTimeSetUp]
    public void Start()
    {
        counter = new TokenEndpointCounter();
        api = new ResourceApiHost(Fixture.ConnectionString, Fixture.Issuer, services =>
            services.AddHttpClient(BasicExchange.HttpClientName).AddHttpMessageHandler(() => new CountingHandler(counter)));
        client = api.CreateClient();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        client.Dispose();
        await api.DisposeAsync();
    }

    private static Task<GraphQLCall> BasicAsync(HttpClient client, string query, string id, string secret) =>
        GraphQLCall.SendAsync(client, query, TokenServiceHost.Basic(id, secret));

    [Test]
    public async Task Good_credentials_are_exchanged_and_the_token_is_reused_from_the_cache()
    {
        var (id, secret) = await Fixture.TokenService.CreateApplicationAsync(null, Scopes.MetricQuery);
        var before = counter.Count;
        var first = await BasicAsync(client, "{ counter(metric: \"order_count\") { value } }", id, secret);
        var second = await BasicAsync(client, "{ counter(metric: \"order_count\") { value } }", id, secret);
        Assert.Multiple(() =>
        {
            Assert.That(first.Status, Is.EqualTo(HttpStatusCode.OK), first.ToString());
            Assert.That(first.Data.GetProperty("counter").GetProperty("value").GetString(), Is.EqualTo("100000"));
            Assert.That(second.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(counter.Count - before, Is.EqualTo(1), "the second request is a cache hit");
        });
    }

    [Test]
    public async Task Wrong_secret_is_401_invalid_token_and_is_not_cached()
    {
        var (id, secret) = await Fixture.TokenService.CreateApplicationAsync(null, Scopes.MetricQuery);
        var wrong = await BasicAsync(client, "{ __typename }", id, secret + "x");
        var right = await BasicAsync(client, "{ __typename }", id, secret);
        Assert.Multiple(() =>
        {
            Assert.That(wrong.Status, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(wrong.WwwAuthenticate, Is.EqualTo("Bearer error=\"invalid_token\""));
            Assert.That(right.Status, Is.EqualTo(HttpStatusCode.OK), "a wrong secret must not poison the right one");
        });
    }

    /// <summary>
    /// The tarpit (BasicRefusalDelayMilliseconds): a refused request waits before its 401, the next one from the refusal
    /// cache too, so a closed-loop flood retries once per delay per connection; good credentials never wait.
    /// </summary>
    [Test]
    [Category("Timing")]
    public async Task Refused_Basic_credentials_wait_for_the_tarpit_and_good_ones_do_not()
    {
        await using var tarpitted = new ResourceApiHost(Fixture.ConnectionString, Fixture.Issuer.ToString().TrimEnd('/'),
            settings: new Dictionary<string, string?> { ["BasicRefusalDelayMilliseconds"] = "400" });
        using var http = tarpitted.CreateClient();
        var (id, secret) = await Fixture.TokenService.CreateApplicationAsync(null, Scopes.MetricRead);
        Assert.That((await BasicAsync(http, "{ __typename }", id, secret)).Status, Is.EqualTo(HttpStatusCode.OK), "warm-up");

        async Task<(HttpStatusCode Status, double Ms)> TimedAsync(string withSecret)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var call = await BasicAsync(http, "{ __typename }", id, withSecret);
            return (call.Status, clock.Elapsed.TotalMilliseconds);
        }

        var fresh = await TimedAsync(secret + "x");
        var cached = await TimedAsync(secret + "x");
        var good = await TimedAsync(secret);
        Assert.Multiple(() =>
        {
            Assert.That(fresh.Status, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(fresh.Ms, Is.GreaterThanOrEqualTo(390), "a refusal from the token endpoint waits");
            Assert.That(cached.Status, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(cached.Ms, Is.GreaterThanOrEqualTo(390), "a refusal from the refusal cache waits too");
            Assert.That(good.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(good.Ms, Is.LessThan(390), "good credentials are never held");
        });
    }

    [Test]
    public async Task Basic_caller_gets_exactly_its_applications_scopes()
    {
        var (id, secret) = await Fixture.TokenService.CreateApplicationAsync(null, Scopes.MetricRead);
        var allowed = await BasicAsync(client, "{ metrics(first: 1) { edges { cursor } } }", id, secret);
        var refused = await BasicAsync(client, "{ counter(metric: \"order_count\") { value } }", id, secret);
        Assert.Multiple(() =>
        {
            Assert.That(allowed.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(refused.Status, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(refused.WwwAuthenticate, Is.EqualTo("Bearer error=\"insufficient_scope\", scope=\"metric:query admin\""));
        });
    }

    [Test]
    public async Task Concurrent_identical_requests_share_one_exchange()
    {
        var (id, secret) = await Fixture.TokenService.CreateApplicationAsync(null, Scopes.MetricRead);
        var before = counter.Count;
        var calls = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => BasicAsync(client, "{ __typename }", id, secret)));
        Assert.Multiple(() =>
        {
            Assert.That(calls.Select(c => c.Status), Has.All.EqualTo(HttpStatusCode.OK));
            Assert.That(counter.Count - before, Is.EqualTo(1));
        });
    }

    public sealed class TokenEndpointCounter
    {
        private int count;

        public int Count => Volatile.Read(ref count);

        public void Increment() => Interlocked.Increment(ref count);
    }

    private sealed class CountingHandler(TokenEndpointCounter counter) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            counter.Increment();
            return base.SendAsync(request, cancellationToken);
        }
    }
}
