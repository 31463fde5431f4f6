using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Security.Tests.Infrastructure;
using TokenService.Applications;

namespace Security.Tests.Revocation;

/// <summary>
/// A scope taken away from an application must stop working at once, for bearer tokens issued before and for HTTP Basic
/// callers of the ResourceApi, whose exchanged token used to be cached with the old scopes until it expired (found in
/// the issue 11 review and left open then). Basic callers keep working with what they still have: never a 401.
/// </summary>
[NonParallelizable]
public sealed class ScopeNarrowingTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(5);
    private const string ListMetrics = """{"query":"{ metrics(first: 1) { edges { node { id } } } }"}""";
    private const string Typename = """{"query":"{ __typename }"}""";
    private SecurityStack stack = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => stack = await SecurityStack.StartAsync("scope_narrowing");

    [OneTimeTearDown]
    public async Task StopAsync() => await stack.DisposeAsync();

    private async Task<HttpStatusCode> GraphQLAsync(AuthenticationHeaderValue authorization, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = authorization;
        using var response = await stack.ApiClient.SendAsync(request);
        return response.StatusCode;
    }

    [Test]
    public async Task A_removed_scope_stops_working_for_basic_callers_and_earlier_tokens_within_5_seconds()
    {
        var (clientId, secret) = await stack.CreateApplicationAsync("metric:read", "metric:query");
        var basic = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{clientId}:{secret}")));
        var earlier = new AuthenticationHeaderValue("Bearer", await stack.TokenAsync(clientId, secret));
        Assert.That(await GraphQLAsync(basic, ListMetrics), Is.EqualTo(HttpStatusCode.OK), "Basic is cached with metric:read");
        Assert.That(await GraphQLAsync(earlier, ListMetrics), Is.EqualTo(HttpStatusCode.OK));

        var (_, error) = await stack.Tokens.Services.GetRequiredService<Applications>()
            .UpdateAsync(clientId, new ApplicationChanges(Scopes: ["metric:query"]), default);
        Assert.That(error, Is.Null);

        var clock = Stopwatch.StartNew();
        var basicStatus = HttpStatusCode.OK;
        while (clock.Elapsed < Limit && (basicStatus = await GraphQLAsync(basic, ListMetrics)) == HttpStatusCode.OK)
        {
            await Task.Delay(50);
        }

        var basicDelay = clock.Elapsed;
        var earlierStatus = HttpStatusCode.OK;
        while (clock.Elapsed < Limit && (earlierStatus = await GraphQLAsync(earlier, Typename)) == HttpStatusCode.OK)
        {
            await Task.Delay(50);
        }

        TestContext.Out.WriteLine($"Basic refused metric:read after {basicDelay.TotalMilliseconds:N0} ms; the earlier token after " +
                                  $"{clock.Elapsed.TotalMilliseconds:N0} ms");
        var fresh = new AuthenticationHeaderValue("Bearer", await stack.TokenAsync(clientId, secret));
        Assert.Multiple(async () =>
        {
            Assert.That(basicStatus, Is.EqualTo(HttpStatusCode.Forbidden), "Basic: the removed scope is insufficient_scope, not a 401");
            Assert.That(await GraphQLAsync(basic, Typename), Is.EqualTo(HttpStatusCode.OK), "Basic keeps working for what remains");
            Assert.That(earlierStatus, Is.EqualTo(HttpStatusCode.Unauthorized), "a token issued before the narrowing is revoked");
            Assert.That(await GraphQLAsync(fresh, Typename), Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await GraphQLAsync(fresh, ListMetrics), Is.EqualTo(HttpStatusCode.Forbidden));
        });
    }

    [Test]
    public async Task A_change_that_narrows_nothing_revokes_nothing()
    {
        var (clientId, secret) = await stack.CreateApplicationAsync("metric:read");
        var earlier = new AuthenticationHeaderValue("Bearer", await stack.TokenAsync(clientId, secret));
        await stack.Tokens.Services.GetRequiredService<Applications>()
            .UpdateAsync(clientId, new ApplicationChanges(Description: "renamed", Scopes: ["metric:read", "metric:query"]), default);
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.That(await GraphQLAsync(earlier, ListMetrics), Is.EqualTo(HttpStatusCode.OK), "widening keeps earlier tokens");
    }
}
