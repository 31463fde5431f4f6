using System.Net;
using System.Net.Http.Headers;
using Duende.IdentityModel.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.IdentityModel.JsonWebTokens;
using Shared.Protocol;
using TestSupport;

namespace Ecosystem.Tests;

/// <summary>
/// Issue 17 point 6 with the clients users hold: a TokenService configured with <c>SigningAlgorithm=ES256</c> over
/// HTTPS, Duende.IdentityModel reading its discovery and getting a token, and somebody else's JwtBearer API configured
/// only with Authority accepting it. (The ResourceApi's acceptance of ES256 and PS256 is ResourceApi.Tests'
/// JwksRotationTests: a second ResourceApi in this process would share the metrics ResourceApiMetricsTests counts.)
/// </summary>
public sealed class Es256Tests
{
    private TokenServiceHost tokenService = null!;
    private WebApplication outside = null!;
    private HttpClient http = null!;
    private string issuer = null!;
    private (string ClientId, string Secret) application;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var database = await PostgresServer.CreateDatabaseAsync("ecosystem_es256");
        var port = Loopback.FreePort();
        issuer = $"https://localhost:{port}";
        tokenService = new TokenServiceHost(database,
            new Dictionary<string, string?> { ["Issuer"] = issuer, ["SigningAlgorithm"] = "ES256" });
        tokenService.UseKestrel(kestrel => kestrel.ListenLocalhost(port, listen => listen.UseHttps(Ecosystem.Certificate.Certificate)));
        tokenService.StartServer();
        http = Ecosystem.Certificate.TrustingClient();
        using (var probe = Ecosystem.Certificate.TrustingClient(new Uri(issuer)))
        {
            await Loopback.WaitUntilReadyAsync(probe);
        }

        application = await tokenService.CreateApplicationAsync("ecosystem-es256", [.. Scopes.ApiScopes]);

        outside = await OutsideApi.StartAsync(issuer);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await outside.DisposeAsync();
        http.Dispose();
        await tokenService.DisposeAsync();
    }

    private async Task<string> TokenAsync()
    {
        var disco = await http.GetDiscoveryDocumentAsync(issuer);
        Assert.That(disco.IsError, Is.False, disco.Error);
        var token = await http.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest
        {
            Address = disco.TokenEndpoint,
            ClientId = application.ClientId,
            ClientSecret = application.Secret,
            Scope = "metric:read",
        });
        Assert.That(token.IsError, Is.False, token.Error + " " + token.ErrorDescription);
        return token.AccessToken!;
    }

    [Test]
    public async Task Discovery_passes_the_default_policy_and_names_ES256()
    {
        var disco = await http.GetDiscoveryDocumentAsync(issuer);
        Assert.Multiple(() =>
        {
            Assert.That(disco.IsError, Is.False, disco.Error);
            Assert.That(disco.KeySet?.Keys.Select(k => (k.Kty, k.Alg, k.Crv)), Is.EqualTo(new[] { ("EC", "ES256", "P-256") }));
            Assert.That(disco.TryGetStringArray("id_token_signing_alg_values_supported"), Is.EqualTo(new[] { "ES256" }));
        });
    }

    [Test]
    public async Task An_API_configured_only_with_authority_accepts_it_and_refuses_it_altered()
    {
        var token = await TokenAsync();
        using var client = new HttpClient { BaseAddress = new Uri(outside.Urls.First()) };
        var parts = token.Split('.');
        var signature = parts[2].ToCharArray();
        signature[5] = signature[5] == 'A' ? 'B' : 'A';
        using var good = new HttpRequestMessage(HttpMethod.Get, "/me")
        {
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", token) },
        };
        using var bad = new HttpRequestMessage(HttpMethod.Get, "/me")
        {
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", $"{parts[0]}.{parts[1]}.{new string(signature)}") },
        };
        using var accepted = await client.SendAsync(good);
        using var refused = await client.SendAsync(bad);
        Assert.Multiple(async () =>
        {
            Assert.That(accepted.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await accepted.Content.ReadAsStringAsync(), Is.EqualTo(application.ClientId));
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        });
    }
}
