using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using TestSupport;

namespace TokenService.Tests.Token;

/// <summary>RFC 9068 access tokens, verified independently: keys fetched from the JWKS endpoint, a separate handler.</summary>
public sealed class AccessTokenTests
{
    private TokenServiceHost host = null!;
    private HttpClient client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("at"),
            new Dictionary<string, string?> { ["Issuer"] = "https://auth.example.test", ["Audience"] = "https://api.example.test" });
        client = await host.CreateReadyClientAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        client.Dispose();
        await host.DisposeAsync();
    }

    [Test]
    public async Task Token_verifies_against_the_published_jwks()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        var token = await TokenServiceHost.GetTokenAsync(client, id, secret);
        var result = await JwksVerifier.ValidateAsync(client, token, "https://auth.example.test", "https://api.example.test");
        Assert.That(result.IsValid, Is.True, result.Exception?.Message);
    }

    [Test]
    public async Task Header_is_rs256_at_jwt_with_the_kid_of_a_published_key()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        var token = new JsonWebToken(await TokenServiceHost.GetTokenAsync(client, id, secret));
        var jwks = JsonDocument.Parse(await client.GetStringAsync("/.well-known/jwks.json")).RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(token.Alg, Is.EqualTo("RS256"));
            Assert.That(token.Typ, Is.EqualTo("at+jwt"));
            Assert.That(jwks.GetProperty("keys").EnumerateArray().Select(k => k.GetProperty("kid").GetString()), Does.Contain(token.Kid));
        });
    }

    [Test]
    public async Task Claims_follow_rfc9068()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query", "metric:stats");
        var token = new JsonWebToken(await TokenServiceHost.GetTokenAsync(client, id, secret, "metric:query", "tenant-7"));
        Assert.Multiple(() =>
        {
            Assert.That(token.Issuer, Is.EqualTo("https://auth.example.test"));
            Assert.That(token.Subject, Is.EqualTo(id), "client credentials: sub is the client id");
            Assert.That(token.Audiences, Is.EqualTo(new[] { "https://api.example.test" }));
            Assert.That(token.GetClaim("client_id").Value, Is.EqualTo(id));
            Assert.That(token.GetClaim("scope").Value, Is.EqualTo("metric:query"));
            Assert.That(token.GetClaim("tenant").Value, Is.EqualTo("tenant-7"));
            Assert.That(token.Id, Has.Length.GreaterThanOrEqualTo(22));
            Assert.That(token.ValidTo - token.IssuedAt, Is.EqualTo(TimeSpan.FromSeconds(3600)));
            Assert.That(token.ValidFrom, Is.EqualTo(token.IssuedAt));
        });
    }

    [Test]
    public async Task Token_without_tenant_request_has_no_tenant_claim()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        var token = new JsonWebToken(await TokenServiceHost.GetTokenAsync(client, id, secret));
        Assert.That(token.TryGetClaim("tenant", out _), Is.False);
    }

    [Test]
    public async Task Every_token_has_a_fresh_jti()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        var a = new JsonWebToken(await TokenServiceHost.GetTokenAsync(client, id, secret));
        var b = new JsonWebToken(await TokenServiceHost.GetTokenAsync(client, id, secret));
        Assert.That(a.Id, Is.Not.EqualTo(b.Id));
    }

    [Test]
    public async Task Lifetime_is_configurable()
    {
        await using var shortLived = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("atlife"),
            new Dictionary<string, string?> { ["AccessTokenLifetimeSeconds"] = "300" });
        using var shortClient = await shortLived.CreateReadyClientAsync();
        var (id, secret) = await shortLived.CreateApplicationAsync(null, "metric:query");
        using var response = await shortClient.PostAsync("/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = id, ["client_secret"] = secret,
        }));
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        var token = new JsonWebToken(json.GetProperty("access_token").GetString());
        Assert.Multiple(() =>
        {
            Assert.That(json.GetProperty("expires_in").GetInt32(), Is.EqualTo(300));
            Assert.That(token.ValidTo - token.IssuedAt, Is.EqualTo(TimeSpan.FromSeconds(300)));
        });
    }

    [Test]
    public async Task A_token_for_another_audience_or_issuer_does_not_verify()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        var token = await TokenServiceHost.GetTokenAsync(client, id, secret);
        var wrongAudience = await JwksVerifier.ValidateAsync(client, token, "https://auth.example.test", "https://other.example.test");
        var wrongIssuer = await JwksVerifier.ValidateAsync(client, token, "https://evil.example.test", "https://api.example.test");
        Assert.Multiple(() =>
        {
            Assert.That(wrongAudience.IsValid, Is.False);
            Assert.That(wrongIssuer.IsValid, Is.False);
        });
    }
}
