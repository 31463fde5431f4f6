using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using TestSupport;

namespace Ecosystem.Tests;

/// <summary>The ResourceApi's /metrics after real calls: GraphQL outcomes and the Basic exchange cache.</summary>
public sealed partial class ResourceApiMetricsTests
{
    private static async Task<string> ScrapeAsync(HttpClient api)
    {
        // The exporter serves repeated scrapes within 300 ms from a cache.
        await Task.Delay(350);
        return await api.GetStringAsync("/metrics");
    }

    private static double Value(string scrape, string metric, string label) =>
        Sample().Matches(scrape).Where(m => m.Groups[1].Value == metric && m.Groups[2].Value.Contains(label, StringComparison.Ordinal))
            .Sum(m => double.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture));

    [Test]
    public async Task Graphql_outcomes_and_basic_cache_lookups_are_counted()
    {
        using var api = Ecosystem.Api.CreateClient();
        var token = await TokenServiceHost.GetTokenAsync(Ecosystem.TokenServiceClient, Ecosystem.Application.ClientId, Ecosystem.Application.Secret, "metric:read");
        var before = await ScrapeAsync(api);

        Assert.That((await ResourceApiCall.QueryAsync(api, token)).Status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await ResourceApiCall.QueryAsync(api, "not-a-token")).Status, Is.EqualTo(HttpStatusCode.Unauthorized));
        for (var i = 0; i < 2; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = JsonContent.Create(new { query = ResourceApiCall.ListMetrics }) };
            request.Headers.Authorization = TokenServiceHost.Basic(Ecosystem.Application.ClientId, Ecosystem.Application.Secret);
            using var response = await api.SendAsync(request);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        var after = await ScrapeAsync(api);
        Assert.Multiple(() =>
        {
            Assert.That(Value(after, "resourceapi_graphql_requests_total", "outcome=\"ok\"") -
                        Value(before, "resourceapi_graphql_requests_total", "outcome=\"ok\""), Is.EqualTo(3));
            Assert.That(Value(after, "resourceapi_graphql_requests_total", "outcome=\"unauthorized\"") -
                        Value(before, "resourceapi_graphql_requests_total", "outcome=\"unauthorized\""), Is.EqualTo(1));
            Assert.That(Value(after, "resourceapi_basic_exchange_cache_lookups_total", "result=\"miss\"") -
                        Value(before, "resourceapi_basic_exchange_cache_lookups_total", "result=\"miss\""), Is.EqualTo(1));
            Assert.That(Value(after, "resourceapi_basic_exchange_cache_lookups_total", "result=\"hit\"") -
                        Value(before, "resourceapi_basic_exchange_cache_lookups_total", "result=\"hit\""), Is.EqualTo(1));
            Assert.That(after, Does.Contain("resourceapi_revocation_lag_seconds"));
        });
    }

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{([^}]*)\})? (\S+)", RegexOptions.Multiline)]
    private static partial Regex Sample();
}
