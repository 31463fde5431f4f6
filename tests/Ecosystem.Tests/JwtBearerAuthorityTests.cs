using System.Net;
using System.Net.Http.Headers;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TestSupport;

namespace Ecosystem.Tests;

/// <summary>
/// Somebody else's ASP.NET Core API, configured the way the JwtBearer documentation says and nothing more:
/// <c>Authority</c> (discovery + JWKS) and <c>Audience</c>. It must accept our access tokens and refuse altered ones.
/// Its /orders endpoint passes the caller's token on to the ResourceApi, as an API in front of ours would.
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
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            o.Authority = Ecosystem.Issuer;
            o.Audience = "resource-api";
            // The only test-specific line: trust the test certificate (a real deployment trusts a real CA).
            o.BackchannelHttpHandler = Ecosystem.Certificate.TrustingHandler();
        });
        builder.Services.AddAuthorization();
        app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/me", (ClaimsPrincipal user) => user.FindFirst("client_id")?.Value).RequireAuthorization();
        app.MapGet("/metrics", async (HttpContext context) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
            {
                Content = System.Net.Http.Json.JsonContent.Create(new { query = ResourceApiCall.ListMetrics }),
            };
            request.Headers.Authorization = AuthenticationHeaderValue.Parse(context.Request.Headers.Authorization.ToString());
            using var response = await resourceApi.SendAsync(request);
            return Results.Text(await response.Content.ReadAsStringAsync(), "application/json", statusCode: (int)response.StatusCode);
        }).RequireAuthorization();
        await app.StartAsync();
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
