using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using ResourceApi.Tests.Infrastructure;
using TestSupport;

namespace ResourceApi.Tests.Lifecycle;

/// <summary>
/// Issue 11 point 7: until its first revocation poll has succeeded the ResourceApi cannot tell a revoked token from a
/// good one, so it is not ready and serves no request with credentials; the first successful poll makes it ready.
/// </summary>
public sealed class RevocationReadinessTests
{
    /// <summary>Fails every request: the TokenService's revocation feed is unreachable.</summary>
    private sealed class Unreachable : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new HttpRequestException("connection refused (test)");
    }

    [Test]
    public async Task Without_a_revocation_poll_it_is_not_ready_and_refuses_bearer_requests_with_503()
    {
        await using var api = new ResourceApiHost(Fixture.ConnectionString, Fixture.Issuer,
            services => services.AddHttpClient("revocations").ConfigurePrimaryHttpMessageHandler(() => new Unreachable()));
        using var client = api.CreateClient();
        var token = await Fixture.TokenAsync("metric:query");
        using var ready = await client.GetAsync("/readyz");
        var call = await GraphQLCall.PostAsync(client, "{ __typename }", token);
        Assert.Multiple(() =>
        {
            Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.ServiceUnavailable), "a good token is not served on trust");
        });
    }

    [Test]
    public async Task After_the_first_poll_it_is_ready_and_serves_bearer_requests()
    {
        using var ready = await Fixture.ApiClient.GetAsync("/readyz");
        var call = await GraphQLCall.PostAsync(Fixture.ApiClient, "{ __typename }", await Fixture.TokenAsync("metric:query"));
        Assert.Multiple(() =>
        {
            Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    /// <summary>Issue 18 point 4: stopping, it says so on /readyz (a balancer stops sending) and still serves for the drain.</summary>
    [Test]
    [CancelAfter(30_000)]
    public async Task A_stopping_api_answers_readyz_503_draining_and_still_serves()
    {
        await using var api = new ResourceApiHost(Fixture.ConnectionString, Fixture.Issuer.ToString().TrimEnd('/'),
            settings: new Dictionary<string, string?> { ["Shutdown:DrainSeconds"] = "2" });
        using var client = api.CreateClient();
        await Loopback.WaitUntilReadyAsync(client);
        var token = await Fixture.TokenAsync("metric:query");

        var stopping = api.Services.GetRequiredService<IHost>().StopAsync();
        await Task.Delay(300);
        using var ready = await client.GetAsync("/readyz");
        var call = await GraphQLCall.PostAsync(client, "{ __typename }", token);
        var stillServing = !stopping.IsCompleted;
        await stopping;
        Assert.Multiple(async () =>
        {
            Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(await ready.Content.ReadAsStringAsync(), Is.EqualTo("draining"));
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.OK), "requests are still served while draining");
            Assert.That(stillServing, Is.True);
        });
    }
}
