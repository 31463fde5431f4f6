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
        var tokenBody = await tokenResponse.Content.ReadAsStringAsync();
        Assert.That(tokenResponse.StatusCode, Is.EqualTo(HttpStatusCode.OK), tokenBody);
        var token = JsonDocument.Parse(tokenBody).RootElement.GetProperty("access_token").GetString();

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(apiAddress, "/graphql"))
        {
            Content = JsonContent.Create(new { query = "{ getAllDataSources(first: 10) { pageInfo { hasNextPage endCursor } edges { cursor node { uniqueName type } } } }" }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        var call = await GraphQLCall.ReadAsync(response);

        // The same request without the token: proves the answer above was earned by the token, not handed to anyone.
        using var anonymous = new HttpRequestMessage(HttpMethod.Post, new Uri(apiAddress, "/graphql"))
        {
            Content = JsonContent.Create(new { query = "{ getAllDataSources(first: 10) { edges { node { uniqueName } } } }" }),
        };
        using var refused = await http.SendAsync(anonymous);

        Assert.That(call.Status, Is.EqualTo(HttpStatusCode.OK), call.ToString());
        var edges = call.Data.GetProperty("getAllDataSources").GetProperty("edges");
        Assert.Multiple(() =>
        {
            Assert.That(call.HasErrors, Is.False, call.ToString());
            Assert.That(edges[0].GetProperty("node").GetProperty("uniqueName").GetString(), Is.EqualTo("demo_postgres"));
            Assert.That(call.Data.GetProperty("getAllDataSources").GetProperty("pageInfo").GetProperty("hasNextPage").GetBoolean(), Is.False);
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        });
    }

    [Test]
    public async Task Basic_credentials_work_end_to_end_over_loopback()
    {
        await using var api = new ResourceApiHost(Fixture.ConnectionString, Fixture.Issuer);
        var apiAddress = api.StartOnLoopback();
        using var http = new HttpClient { BaseAddress = apiAddress };
        var (id, secret) = await Fixture.TokenService.CreateApplicationAsync(null, Scopes.MetricQuery);
        const string query = "{ counter(metric: \"revenue\") { value } }";
        var call = await GraphQLCall.SendAsync(http, query, TokenServiceHost.Basic(id, secret));
        var wrong = await GraphQLCall.SendAsync(http, query, TokenServiceHost.Basic(id, secret + "x"));
        Assert.Multiple(() =>
        {
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.OK), call.ToString());
            Assert.That(call.HasErrors, Is.False, call.ToString());
            Assert.That(call.Data.GetProperty("counter").GetProperty("value").GetString(), Is.Not.Empty);
            Assert.That(wrong.Status, Is.EqualTo(HttpStatusCode.Unauthorized), "the secret is checked, not just present");
        });
    }
}
