using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using ResourceApi.Tests.Infrastructure;
using Shared.Protocol;
using TestSupport;

namespace ResourceApi.Tests;

/// <summary>
/// The seed flow of CONTRACT.md over real sockets: both services on loopback Kestrel, a token from the real token
/// endpoint, then POST /graphql with the Propel quick-start request. Nothing in-memory between the three parties.
/// </summary>
public sealed class EndToEndTests
{
    [Test]
    public async Task Seed_flow_runs_end_to_end_over_loopback()
    {
        await using var api = new ResourceApiHost(Fixture.ConnectionString, Fixture.Issuer);
        var apiAddress = api.StartOnLoopback();
        using var http = new HttpClient();
        var (id, secret) = await Fixture.TokenService.CreateApplicationAsync(null, Scopes.Admin, Scopes.MetricQuery);

        using var tokenResponse = await http.PostAsync(new Uri(Fixture.Issuer, "/oauth2/token"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = GrantTypes.ClientCredentials,
            ["client_id"] = id,
            ["client_secret"] = secret,
        }));
        var token = JsonDocument.Parse(await tokenResponse.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString();

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(apiAddress, "/graphql"))
        {
            Content = JsonContent.Create(new { query = "{ getAllDataSources(first: 10) { pageInfo { hasNextPage endCursor } edges { cursor node { uniqueName type } } } }" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        var call = await GraphQLCall.ReadAsync(response);

        var edges = call.Data.GetProperty("getAllDataSources").GetProperty("edges");
        Assert.Multiple(() =>
        {
            Assert.That(apiAddress.Host, Is.EqualTo("127.0.0.1").Or.EqualTo("localhost"));
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.OK), call.ToString());
            Assert.That(edges[0].GetProperty("node").GetProperty("uniqueName").GetString(), Is.EqualTo("demo_postgres"));
            Assert.That(call.Data.GetProperty("getAllDataSources").GetProperty("pageInfo").GetProperty("hasNextPage").GetBoolean(), Is.False);
        });
    }

    [Test]
    public async Task Basic_credentials_work_end_to_end_over_loopback()
    {
        await using var api = new ResourceApiHost(Fixture.ConnectionString, Fixture.Issuer);
        var apiAddress = api.StartOnLoopback();
        using var http = new HttpClient { BaseAddress = apiAddress };
        var (id, secret) = await Fixture.TokenService.CreateApplicationAsync(null, Scopes.MetricQuery);
        var call = await GraphQLCall.SendAsync(http, "{ counter(metric: \"revenue\") { value } }", TokenServiceHost.Basic(id, secret));
        Assert.That(call.Status, Is.EqualTo(HttpStatusCode.OK), call.ToString());
    }
}
