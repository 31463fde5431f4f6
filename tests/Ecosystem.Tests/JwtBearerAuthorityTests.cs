using System.Net;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using TestSupport;

namespace Ecosystem.Tests;

/// <summary>
/// Somebody else's ASP.NET Core API (<see cref="OutsideApi"/>: Authority and Audience only) must accept our access tokens
/// and refuse altered ones. Its /metrics endpoint passes the caller's token on to the ResourceApi, as an API in front of
/// ours would.
/// </summary>
public sealed class JwtBearerAuthorityTests
{
    private WebApplication app = null!;
    private HttpClient client = null!;
    private HttpClient resourceApi = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        resourceApi = Ecosystem.Api.CreateClient();
        app = await OutsideApi.StartAsync(Ecosystem.Issuer, api => api.MapGet("/metrics", async (HttpContext context) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
            {
                Content = System.Net.Http.Json.JsonContent.Create(new { query = ResourceApiCall.ListMetrics }),
            };
            request.Headers.Authorization = AuthenticationHeaderValue.Parse(context.Request.Headers.Authorization.ToString());
            using var response = await resourceApi.SendAsync(request);
            return Results.Text(await response.Content.ReadAsStringAsync(), "application/json", statusCode: (int)response.StatusCode);
        }).RequireAuthorization());
        client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        client.Dispose();
        resourceApi.Dispose();
        await app.DisposeAsync();
    }

    private static Task<string> TokenAsync(string scope) =>
        TokenServiceHost.GetTokenAsync(Ecosystem.TokenServiceClient, Ecosystem.Application.ClientId, Ecosystem.Application.Secret, scope);

    private async Task<HttpResponseMessage> GetAsync(string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request);
    }

    [Test]
    public async Task Api_configured_only_with_authority_accepts_our_token()
    {
        using var response = await GetAsync("/me", await TokenAsync("metric:read"));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo(Ecosystem.Application.ClientId));
    }

    [Test]
    public async Task Api_passes_the_same_token_on_to_the_resource_api()
    {
        using var response = await GetAsync("/metrics", await TokenAsync("metric:read"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        Assert.That(body, Does.Contain("\"edges\""));
    }

    [Test]
    public async Task Altered_token_is_refused()
    {
        var token = await TokenAsync("metric:read");
        var parts = token.Split('.');
        var signature = parts[2].ToCharArray();
        signature[10] = signature[10] == 'A' ? 'B' : 'A';
        using var response = await GetAsync("/me", $"{parts[0]}.{parts[1]}.{new string(signature)}");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task No_token_gets_a_bearer_challenge()
    {
        using var response = await client.GetAsync("/me");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(response.Headers.WwwAuthenticate.Select(h => h.Scheme), Does.Contain("Bearer"));
    }
}
