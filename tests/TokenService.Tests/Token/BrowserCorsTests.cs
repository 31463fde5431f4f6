using System.Net;
using TestSupport;

namespace TokenService.Tests.Token;

/// <summary>A single-page app on another origin may call the token endpoint and friends, without cookies; nothing else.</summary>
public sealed class BrowserCorsTests
{
    private TokenServiceHost host = null!;
    private HttpClient client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("cors"));
        client = await host.CreateReadyClientAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        client.Dispose();
        await host.DisposeAsync();
    }

    private async Task<HttpResponseMessage> PreflightAsync(string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, path);
        request.Headers.Add("Origin", "https://spa.example");
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "content-type");
        return await client.SendAsync(request);
    }

    [TestCase("/oauth2/token")]
    [TestCase("/oauth2/revoke")]
    [TestCase("/userinfo")]
    [TestCase("/.well-known/jwks.json")]
    public async Task Browser_endpoints_allow_any_origin_without_credentials(string path)
    {
        using var response = await PreflightAsync(path);
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(response.Headers.GetValues("Access-Control-Allow-Origin").Single(), Is.EqualTo("*"));
            Assert.That(response.Headers.Contains("Access-Control-Allow-Credentials"), Is.False);
        });
    }

    [TestCase("/applications")]
    [TestCase("/oauth2/authorize")]
    [TestCase("/oauth2/introspect")]
    public async Task Other_endpoints_send_no_cors_headers(string path)
    {
        using var response = await PreflightAsync(path);
        Assert.That(response.Headers.Contains("Access-Control-Allow-Origin"), Is.False);
    }

    [Test]
    public async Task A_cross_origin_token_request_gets_the_allow_origin_header()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth2/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials", ["client_id"] = id, ["client_secret"] = secret,
            }),
        };
        request.Headers.Add("Origin", "https://spa.example");
        using var response = await client.SendAsync(request);
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(response.Headers.GetValues("Access-Control-Allow-Origin").Single(), Is.EqualTo("*"));
        });
    }
}
