using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Security.Tests.Infrastructure;

namespace Security.Tests.Limits;

/// <summary>
/// Issue 6 point 4: GraphQL depth and complexity limits refuse expensive documents before execution (400 with
/// errors, never a 5xx), for Bearer and Basic callers alike. The ResourceApi's own QuerySafetyTests cover the details.
/// </summary>
public sealed class GraphQLLimitTests
{
    private SecurityStack stack = null!;
    private (string ClientId, string Secret) app;
    private string token = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        stack = await SecurityStack.StartAsync("graphqllimits");
        app = await stack.CreateApplicationAsync("admin");
        token = await stack.TokenAsync(app.ClientId, app.Secret);
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await stack.DisposeAsync();

    private async Task<(HttpStatusCode Status, string Body)> QueryAsync(string query, AuthenticationHeaderValue authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { query }), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = authorization;
        using var response = await stack.ApiClient.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private IEnumerable<AuthenticationHeaderValue> Callers() =>
        [new("Bearer", token), TestSupport.TokenServiceHost.Basic(app.ClientId, app.Secret)];

    [Test]
    public async Task Query_nested_beyond_the_depth_limit_is_400()
    {
        var nested = "{ __schema { types { fields { type" + string.Concat(Enumerable.Repeat(" { ofType", 30)) + " { name }" + new string('}', 30) + " } } } }";
        foreach (var caller in Callers())
        {
            var (status, body) = await QueryAsync(nested, caller);
            Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), caller.Scheme + ": " + body);
            Assert.That(body, Does.Contain("depth"));
        }
    }

    [Test]
    public async Task Query_beyond_the_complexity_limit_is_400()
    {
        var aliases = string.Concat(Enumerable.Range(0, 60).Select(i =>
            $" a{i}: dataGrid(dataPool: \"orders\", first: 100) {{ headers edges {{ cursor node {{ values }} }} }}"));
        foreach (var caller in Callers())
        {
            var (status, body) = await QueryAsync("{" + aliases + " }", caller);
            Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), caller.Scheme + ": " + body);
            Assert.That(body, Does.Contain("complex"));
        }
    }

    [Test]
    public async Task Body_beyond_the_limit_is_413()
    {
        var (status, _) = await QueryAsync("{ __typename }" + new string(' ', 100_000), new AuthenticationHeaderValue("Bearer", token));
        Assert.That(status, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
    }
}
