using System.Net;
using System.Text.Json;
using TestSupport;

namespace TokenService.Tests.Discovery;

/// <summary>OIDC Discovery / RFC 8414 metadata, and the health endpoints.</summary>
public sealed class DiscoveryTests
{
    private TokenServiceHost host = null!;
    private HttpClient client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("disco"),
            new Dictionary<string, string?> { ["Issuer"] = "https://id.example.test/tenant-a" });
        client = await host.CreateReadyClientAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        client.Dispose();
        await host.DisposeAsync();
    }

    [Test]
    public async Task Both_well_known_documents_are_the_same_and_use_the_configured_issuer()
    {
        var oidc = await client.GetStringAsync("/.well-known/openid-configuration");
        var oauth = await client.GetStringAsync("/.well-known/oauth-authorization-server");
        var json = JsonDocument.Parse(oidc).RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(oauth, Is.EqualTo(oidc));
            Assert.That(json.GetProperty("issuer").GetString(), Is.EqualTo("https://id.example.test/tenant-a"));
            Assert.That(json.GetProperty("token_endpoint").GetString(), Is.EqualTo("https://id.example.test/tenant-a/oauth2/token"));
            Assert.That(json.GetProperty("jwks_uri").GetString(), Is.EqualTo("https://id.example.test/tenant-a/.well-known/jwks.json"));
        });
    }

    [Test]
    public async Task Metadata_lists_what_the_token_endpoint_supports()
    {
        var json = JsonDocument.Parse(await client.GetStringAsync("/.well-known/openid-configuration")).RootElement;
        string[] Values(string name) => json.GetProperty(name).EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(Values("grant_types_supported"), Does.Contain("client_credentials"));
            Assert.That(Values("token_endpoint_auth_methods_supported"), Is.SupersetOf(new[] { "client_secret_basic", "client_secret_post" }));
            Assert.That(Values("scopes_supported"), Is.SupersetOf(new[] { "admin", "application:admin", "metric:query", "metric:read", "metric:stats", "data_pool:query", "data_pool:stats" }));
            Assert.That(Values("id_token_signing_alg_values_supported"), Is.EqualTo(new[] { "RS256" }));
        });
    }

    [Test]
    public async Task Every_endpoint_listed_in_discovery_exists()
    {
        var json = JsonDocument.Parse(await client.GetStringAsync("/.well-known/openid-configuration")).RootElement;
        foreach (var property in json.EnumerateObject().Where(p => p.Name.EndsWith("_endpoint", StringComparison.Ordinal) || p.Name == "jwks_uri"))
        {
            var path = new Uri(property.Value.GetString()!).AbsolutePath["/tenant-a".Length..];
            using var response = await client.GetAsync(path);
            // Exists and handles the request: a 404 means it is missing and a 5xx that it broke. A bare GET without
            // credentials may fairly be 200, 400, 401 or 405 depending on the endpoint.
            Assert.That((int)response.StatusCode, Is.InRange(200, 499).And.Not.EqualTo(404), $"{property.Name} {path}");
        }
    }

    [Test]
    public async Task Healthz_answers_ok()
    {
        using var response = await client.GetAsync("/healthz");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Readyz_is_ready_when_the_database_answers_and_a_key_is_loaded()
    {
        using var response = await client.GetAsync("/readyz");
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(json.GetProperty("database").GetBoolean(), Is.True);
            Assert.That(json.GetProperty("signingKey").GetBoolean(), Is.True);
        });
    }

    [Test]
    public async Task Readyz_is_503_without_a_database_and_token_requests_are_503_too()
    {
        await using var orphan = new TokenServiceHost("Host=127.0.0.1;Port=1;Database=x;Username=x;Timeout=1");
        using var orphanClient = orphan.CreateClient();
        using var ready = await orphanClient.GetAsync("/readyz");
        using var token = await orphanClient.PostAsync("/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = "x", ["client_secret"] = "y",
        }));
        using var jwks = await orphanClient.GetAsync("/.well-known/jwks.json");
        Assert.Multiple(async () =>
        {
            Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(token.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(token.Headers.RetryAfter, Is.Not.Null);
            Assert.That(JsonDocument.Parse(await token.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString(),
                Is.EqualTo("temporarily_unavailable"));
            Assert.That(jwks.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        });
    }
}
