using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using TestSupport;

namespace TokenService.Tests.ServiceToService;

/// <summary>
/// Issue 17 point 1, <c>jwksUri</c>: a private_key_jwt application publishes its keys at a URL instead of registering
/// them inline. A real HTTP server here plays the client's key endpoint: rotation there is picked up by key id, a
/// flood of unknown key ids does not turn into a flood of fetches, and a dead endpoint is invalid_client, not a 500.
/// </summary>
public sealed class JwksUriTests
{
    private const string AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    private TokenServiceHost host = null!;
    private HttpClient client = null!;
    private HttpClient admin = null!;
    private string issuer = null!;
    private HttpListener publisher = null!;
    private string publisherUrl = null!;
    private volatile string published = "";
    private int fetches;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("jwksuri"));
        client = await host.CreateReadyClientAsync();
        issuer = host.Setting("Issuer").TrimEnd('/');
        admin = await host.CreateManagementClientAsync(client);
        (publisher, publisherUrl) = StartPublisher();
        _ = ServeAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        publisher.Close();
        client.Dispose();
        admin.Dispose();
        await host.DisposeAsync();
    }

    [Test]
    public async Task Keys_are_fetched_from_the_uri_and_a_rotation_there_is_picked_up_by_key_id()
    {
        using var first = RSA.Create(2048);
        using var second = RSA.Create(2048);
        published = Jwks(("first", first));
        var clientId = await CreateAsync(publisherUrl + "first-app");
        using (var token = await TokenAsync(Assertion(clientId, first, "first")))
        {
            Assert.That(token.StatusCode, Is.EqualTo(HttpStatusCode.OK), await token.Content.ReadAsStringAsync());
        }

        // The client rotates at its own endpoint, without telling us: an assertion with the new key id makes us fetch again.
        published = Jwks(("second", second));
        var before = Volatile.Read(ref fetches);
        await Task.Delay(RemoteJwksCooldown);
        using (var rotated = await TokenAsync(Assertion(clientId, second, "second")))
        {
            Assert.That(rotated.StatusCode, Is.EqualTo(HttpStatusCode.OK), await rotated.Content.ReadAsStringAsync());
        }

        Assert.That(Volatile.Read(ref fetches), Is.EqualTo(before + 1));

        // Unknown key ids, many at once: at most one more fetch in the cooldown, and each is invalid_client.
        using var stranger = RSA.Create(2048);
        var floodBefore = Volatile.Read(ref fetches);
        var flood = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => TokenAsync(Assertion(clientId, stranger, "stranger-" + i))));
        Assert.Multiple(() =>
        {
            Assert.That(flood.Select(r => r.StatusCode).Distinct(), Is.EqualTo(new[] { HttpStatusCode.Unauthorized }));
            Assert.That(Volatile.Read(ref fetches) - floodBefore, Is.LessThanOrEqualTo(1),
                "a flood of unknown kids is not a flood of fetches");
        });
        foreach (var response in flood)
        {
            response.Dispose();
        }
    }

    [Test]
    public async Task A_dead_or_wrong_key_endpoint_is_invalid_client_never_a_500()
    {
        using var key = RSA.Create(2048);
        var dead = await CreateAsync($"http://127.0.0.1:{FreePort()}/jwks.json");
        var notJwks = await CreateAsync(publisherUrl + "not-jwks");
        foreach (var clientId in new[] { dead, notJwks })
        {
            using var response = await TokenAsync(Assertion(clientId, key, "k"));
            var body = await response.Content.ReadAsStringAsync();
            Assert.Multiple(() =>
            {
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), body);
                Assert.That(JsonDocument.Parse(body).RootElement.GetProperty("error").GetString(), Is.EqualTo("invalid_client"));
            });
        }
    }

    [TestCase("http://keys.example.com/jwks.json", "jwksUri must use https")]
    [TestCase("https://user:pw@keys.example.com/jwks.json", "jwksUri must be an absolute https URL")]
    [TestCase("/relative/jwks.json", "jwksUri must be an absolute https URL")]
    [TestCase("https://keys.example.com/jwks.json\n", "jwksUri must be an absolute https URL")]
    public async Task A_bad_jwks_uri_is_400_naming_it(string uri, string message)
    {
        using var response = await admin.PostAsJsonAsync("/applications", Registration(uri));
        var body = await response.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), body);
            Assert.That(body, Does.Contain("jwksUri").And.Contain(message));
        });
    }

    [Test]
    public async Task Jwks_and_jwks_uri_together_or_a_uri_for_a_secret_are_refused_and_an_update_switches_between_them()
    {
        using var key = RSA.Create(2048);
        var both = Registration(publisherUrl + "both");
        both["jwks"] = JsonDocument.Parse(Jwks(("k", key))).RootElement;
        using var mixed = await admin.PostAsJsonAsync("/applications", both);
        var secret = Registration(publisherUrl + "secret");
        secret.Remove("tokenEndpointAuthMethod");
        using var withSecret = await admin.PostAsJsonAsync("/applications", secret);
        Assert.Multiple(async () =>
        {
            Assert.That(mixed.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(await mixed.Content.ReadAsStringAsync(), Does.Contain("not both"));
            Assert.That(withSecret.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(await withSecret.Content.ReadAsStringAsync(),
                Does.Contain("jwksUri is only for tokenEndpointAuthMethod private_key_jwt"));
        });

        var clientId = await CreateAsync(publisherUrl + "switch");
        using var inline = await admin.PatchAsJsonAsync($"/applications/{clientId}",
            new { jwks = JsonDocument.Parse(Jwks(("inline", key))).RootElement });
        var view = await inline.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Multiple(() =>
        {
            Assert.That(inline.StatusCode, Is.EqualTo(HttpStatusCode.OK), view.ToString());
            Assert.That(view.TryGetProperty("jwksUri", out _), Is.False, "inline keys replace the uri");
            Assert.That(view.GetProperty("jwks").GetProperty("keys")[0].GetProperty("kid").GetString(), Is.EqualTo("inline"));
        });
        using var token = await TokenAsync(Assertion(clientId, key, "inline"));
        Assert.That(token.StatusCode, Is.EqualTo(HttpStatusCode.OK), await token.Content.ReadAsStringAsync());
    }

    /// <summary>RemoteJwks.Cooldown, plus a margin: the first fetch of a set starts it.</summary>
    private static readonly TimeSpan RemoteJwksCooldown = TokenService.Token.RemoteJwks.Cooldown + TimeSpan.FromMilliseconds(200);

    private static Dictionary<string, object?> Registration(string uri) => new()
    {
        ["name"] = "jwks-uri-" + Guid.NewGuid().ToString("N")[..8], ["scopes"] = new[] { "metric:query" },
        ["tokenEndpointAuthMethod"] = "private_key_jwt", ["jwksUri"] = uri,
    };

    private async Task<string> CreateAsync(string uri)
    {
        using var response = await admin.PostAsJsonAsync("/applications", Registration(uri));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), body.ToString());
        Assert.Multiple(() =>
        {
            Assert.That(body.GetProperty("jwksUri").GetString(), Is.EqualTo(uri));
            Assert.That(body.TryGetProperty("secret", out _), Is.False);
        });
        return body.GetProperty("clientId").GetString()!;
    }

    private static string Jwks(params (string Kid, RSA Key)[] keys) => JsonSerializer.Serialize(new
    {
        keys = keys.Select(k =>
        {
            var p = k.Key.ExportParameters(false);
            return new
            {
                kty = "RSA", kid = k.Kid, use = "sig", n = Base64UrlEncoder.Encode(p.Modulus), e = Base64UrlEncoder.Encode(p.Exponent),
            };
        }),
    });

    private string Assertion(string clientId, RSA key, string kid)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = clientId, Audience = issuer + "/oauth2/token",
            Claims = new Dictionary<string, object> { ["sub"] = clientId, ["jti"] = Guid.NewGuid().ToString("N") },
            IssuedAt = now, NotBefore = now, Expires = now.AddSeconds(60),
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key) { KeyId = kid }, SecurityAlgorithms.RsaSha256),
        });
    }

    private Task<HttpResponseMessage> TokenAsync(string assertion) => client.PostAsync("/oauth2/token", new FormUrlEncodedContent(
        new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_assertion_type"] = AssertionType, ["client_assertion"] = assertion,
        }));

    private static (HttpListener, string) StartPublisher()
    {
        var url = $"http://127.0.0.1:{FreePort()}/";
        var listener = new HttpListener();
        listener.Prefixes.Add(url);
        listener.Start();
        return (listener, url);
    }

    /// <summary>The client's key endpoint: the current set at every path but /not-jwks, which answers JSON that is no JWK Set.</summary>
    private async Task ServeAsync()
    {
        while (publisher.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await publisher.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            Interlocked.Increment(ref fetches);
            var body = Encoding.UTF8.GetBytes(context.Request.Url!.AbsolutePath.EndsWith("not-jwks", StringComparison.Ordinal)
                ? "{\"hello\": \"world\"}" : published);
            context.Response.ContentType = "application/json";
            context.Response.ContentLength64 = body.Length;
            await context.Response.OutputStream.WriteAsync(body);
            context.Response.Close();
        }
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}
