using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using TestSupport;
using TokenService.Keys;
using TokenService.Tests.Revocation;

namespace TokenService.Tests.Keys;

/// <summary>
/// Issue 17 point 6: the key ring signs with RS256 (default), PS256 or ES256 as configured. Each is checked the way an
/// outside verifier would (the JWKS over HTTP, a separate JsonWebTokenHandler allowing only that algorithm), and through
/// the service's own readers of its tokens (introspection before and after revocation).
/// </summary>
public sealed class SigningAlgorithmTests
{
    [TestCase("RS256", "RSA")]
    [TestCase("PS256", "RSA")]
    [TestCase("ES256", "EC")]
    public async Task Tokens_are_signed_with_the_configured_algorithm_and_validate_from_the_jwks(string algorithm, string keyType)
    {
        await using var host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("alg" + algorithm.ToLowerInvariant()),
            new Dictionary<string, string?> { ["SigningAlgorithm"] = algorithm });
        using var client = await host.CreateReadyClientAsync();
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        var token = await TokenServiceHost.GetTokenAsync(client, id, secret, "metric:query", "acme");

        var result = await JwksVerifier.ValidateAsync(client, token, "http://localhost:5000", "resource-api", algorithm);
        var jwks = JsonDocument.Parse(await client.GetStringAsync("/.well-known/jwks.json")).RootElement;
        var key = jwks.GetProperty("keys").EnumerateArray().Single();
        var discovery = JsonDocument.Parse(await client.GetStringAsync("/.well-known/openid-configuration")).RootElement;
        var jwt = new JsonWebToken(token);
        var live = await RevocationTests.IntrospectAsync(client, id, secret, token);
        using (var revoked = await RevocationTests.PostAsync(client, "/oauth2/revoke", id, secret, token))
        {
            Assert.That(revoked.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        var dead = await RevocationTests.IntrospectAsync(client, id, secret, token);
        Assert.Multiple(() =>
        {
            Assert.That(result.IsValid, Is.True, result.Exception?.Message);
            Assert.That(jwt.Alg, Is.EqualTo(algorithm));
            Assert.That(jwt.Typ, Is.EqualTo("at+jwt"));
            Assert.That(jwt.Kid, Is.EqualTo(key.GetProperty("kid").GetString()));
            Assert.That(jwt.GetClaim("tenant").Value, Is.EqualTo("acme"));
            Assert.That(key.GetProperty("kty").GetString(), Is.EqualTo(keyType));
            Assert.That(key.GetProperty("alg").GetString(), Is.EqualTo(algorithm));
            Assert.That(key.TryGetProperty("d", out _), Is.False, "no private member is published");
            Assert.That(key.TryGetProperty(keyType == "EC" ? "n" : "x", out _), Is.False, "only the members of its key type");
            Assert.That(discovery.GetProperty("id_token_signing_alg_values_supported").EnumerateArray().Select(a => a.GetString()),
                Is.EqualTo(new[] { algorithm }));
            Assert.That(live.GetProperty("active").GetBoolean(), Is.True, "the service reads its own token");
            Assert.That(dead.GetProperty("active").GetBoolean(), Is.False, "and sees it revoked");
        });
        if (keyType == "EC")
        {
            Assert.Multiple(() =>
            {
                Assert.That(key.GetProperty("crv").GetString(), Is.EqualTo("P-256"));
                Assert.That(Convert.FromBase64String(Base64(key.GetProperty("x").GetString()!)), Has.Length.EqualTo(32));
                Assert.That(Convert.FromBase64String(Base64(jwt.EncodedSignature)), Has.Length.EqualTo(64),
                    "RFC 7518 s.3.4: R || S, not DER");
            });
        }
    }

    [Test]
    public async Task Discovery_names_the_algorithms_of_the_published_keys_the_signing_one_first()
    {
        await using var host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("algdiscovery"));
        using var client = await host.CreateReadyClientAsync();
        async Task<string?[]> AdvertisedAsync() => JsonDocument.Parse(await client.GetStringAsync("/.well-known/openid-configuration"))
            .RootElement.GetProperty("id_token_signing_alg_values_supported").EnumerateArray().Select(a => a.GetString()).ToArray();
        var store = host.Services.GetRequiredService<SigningKeyStore>();
        var refresher = host.Services.GetRequiredService<KeyRingRefresher>();

        var before = await AdvertisedAsync();
        await store.AddAsync(TimeSpan.FromMinutes(10), default, algorithm: "ES256");
        await refresher.ReloadAsync(default);
        var pending = await AdvertisedAsync();
        await store.AddAsync(TimeSpan.Zero, default, algorithm: "PS256");
        await refresher.ReloadAsync(default);
        var rotated = await AdvertisedAsync();
        using var response = await client.GetAsync("/.well-known/openid-configuration");
        Assert.Multiple(() =>
        {
            Assert.That(before, Is.EqualTo(new[] { "RS256" }));
            Assert.That(pending, Is.EqualTo(new[] { "RS256", "ES256" }), "a pending key's algorithm is announced before it signs");
            Assert.That(rotated, Is.EquivalentTo(new[] { "PS256", "RS256", "ES256" }));
            Assert.That(rotated[0], Is.EqualTo("PS256"), "the signing key's first");
            Assert.That(response.Headers.CacheControl?.MaxAge, Is.EqualTo(TimeSpan.FromSeconds(300)), "no longer cached than the JWKS");
        });
    }

    private static string Base64(string base64Url)
    {
        var text = base64Url.Replace('-', '+').Replace('_', '/');
        return text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '=');
    }
}
