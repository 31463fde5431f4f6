using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Shared.Protocol;
using TestSupport;
using TokenService.Changes;

namespace TokenService.Tests.Revocation;

/// <summary>RFC 7009 revocation, RFC 7662 introspection and the revocation feed, over HTTP on one instance.</summary>
public sealed class RevocationTests
{
    private TokenServiceHost host = null!;
    private HttpClient client = null!;

    /// <summary>A resource server allowed to introspect any client's tokens (IntrospectionClients, RFC 7662 s.4).</summary>
    private (string Id, string Secret) introspector;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("revocation"));
        client = await host.CreateReadyClientAsync();
        for (var i = 0; i < 100 && !host.Services.GetRequiredService<ChangeListener>().Listening; i++)
        {
            await Task.Delay(20);
        }

        introspector = await host.CreateApplicationAsync(null, "metric:query");
        host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<TokenServiceOptions>>()
            .Value.IntrospectionClients = [introspector.Id];
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        client.Dispose();
        await host.DisposeAsync();
    }

    internal static async Task<HttpResponseMessage> PostAsync(HttpClient http, string path, string clientId, string secret, string token,
        string? hint = null)
    {
        var form = new Dictionary<string, string> { ["token"] = token, ["client_id"] = clientId, ["client_secret"] = secret };
        if (hint is not null)
        {
            form["token_type_hint"] = hint;
        }

        return await http.PostAsync(path, new FormUrlEncodedContent(form));
    }

    internal static async Task<JsonElement> IntrospectAsync(HttpClient http, string clientId, string secret, string token)
    {
        using var response = await PostAsync(http, "/oauth2/introspect", clientId, secret, token);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Test]
    public async Task Introspection_of_a_live_token_returns_its_claims()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query", "metric:read");
        var token = await TokenServiceHost.GetTokenAsync(client, id, secret, "metric:query", "acme");
        var result = await IntrospectAsync(client, id, secret, token);
        Assert.Multiple(() =>
        {
            Assert.That(result.GetProperty("active").GetBoolean(), Is.True);
            Assert.That(result.GetProperty("scope").GetString(), Is.EqualTo("metric:query"));
            Assert.That(result.GetProperty("client_id").GetString(), Is.EqualTo(id));
            Assert.That(result.GetProperty("sub").GetString(), Is.EqualTo(id));
            Assert.That(result.GetProperty("tenant").GetString(), Is.EqualTo("acme"));
            Assert.That(result.GetProperty("token_type").GetString(), Is.EqualTo("Bearer"));
            Assert.That(result.GetProperty("iss").GetString(), Is.EqualTo("http://localhost:5000"));
            Assert.That(result.GetProperty("exp").GetInt64() - result.GetProperty("iat").GetInt64(), Is.EqualTo(3600));
            Assert.That(result.GetProperty("jti").GetString(), Is.Not.Empty);
        });
    }

    [TestCase("not-a-token")]
    [TestCase("eyJhbGciOiJSUzI1NiJ9.e30.c2ln")]
    [TestCase("")]
    public async Task Introspection_of_garbage_is_inactive_and_nothing_else(string token)
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        using var response = await PostAsync(client, "/oauth2/introspect", id, secret, token == "" ? new string('x', 3000) : token);
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("{\"active\":false}"));
    }

    [Test]
    public async Task Introspection_needs_client_authentication()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        var token = await TokenServiceHost.GetTokenAsync(client, id, secret);
        using var response = await PostAsync(client, "/oauth2/introspect", id, secret + "x", token);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task An_expired_token_is_inactive()
    {
        var (id, _) = await host.CreateApplicationAsync(null, "metric:query");
        var (caller, callerSecret) = introspector;
        var past = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-2));
        var issuer = new TokenService.Issuance.AccessTokenIssuer(host.Services.GetRequiredService<TokenService.Keys.KeyRing>(),
            host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<TokenServiceOptions>>(), past);
        var expired = issuer.Issue(new TokenService.Issuance.AccessTokenRequest(id, id, ["metric:query"], null)).Jwt;
        Assert.That((await IntrospectAsync(client, caller, callerSecret, expired)).GetProperty("active").GetBoolean(), Is.False);
    }

    [Test]
    public async Task A_revoked_access_token_is_inactive_and_appears_in_the_feed_by_hash()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        var token = await TokenServiceHost.GetTokenAsync(client, id, secret);
        var jti = (await IntrospectAsync(client, id, secret, token)).GetProperty("jti").GetString()!;
        using var revoke = await PostAsync(client, "/oauth2/revoke", id, secret, token, "access_token");
        var feed = await client.GetFromJsonAsync<JsonElement>("/oauth2/revocations?since=0");
        Assert.Multiple(async () =>
        {
            Assert.That(revoke.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((await IntrospectAsync(client, id, secret, token)).GetProperty("active").GetBoolean(), Is.False);
            Assert.That(feed.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("id").GetString()),
                Does.Contain(RevocationFeed.Hash(jti)));
            Assert.That(feed.ToString(), Does.Not.Contain(jti).And.Not.Contain(id), "the feed names nothing in clear");
            Assert.That(await TokenServiceHost.GetTokenAsync(client, id, secret), Is.Not.Empty, "the client itself still works");
        });
    }

    [Test]
    public async Task Another_clients_token_is_not_revoked_but_the_answer_is_the_same()
    {
        var (owner, ownerSecret) = await host.CreateApplicationAsync(null, "metric:query");
        var (other, otherSecret) = await host.CreateApplicationAsync(null, "metric:query");
        var token = await TokenServiceHost.GetTokenAsync(client, owner, ownerSecret);
        using var revoke = await PostAsync(client, "/oauth2/revoke", other, otherSecret, token);
        Assert.Multiple(async () =>
        {
            Assert.That(revoke.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((await IntrospectAsync(client, owner, ownerSecret, token)).GetProperty("active").GetBoolean(), Is.True);
        });
    }

    [Test] // RFC 7662 s.4: introspection is no oracle for other clients' tokens.
    public async Task Only_the_tokens_own_client_or_a_listed_introspector_learns_that_it_is_active()
    {
        var (owner, ownerSecret) = await host.CreateApplicationAsync(null, "metric:query");
        var (other, otherSecret) = await host.CreateApplicationAsync(null, "metric:query");
        var token = await TokenServiceHost.GetTokenAsync(client, owner, ownerSecret);
        Assert.Multiple(async () =>
        {
            Assert.That((await IntrospectAsync(client, owner, ownerSecret, token)).GetProperty("active").GetBoolean(), Is.True,
                "its own client");
            Assert.That((await IntrospectAsync(client, introspector.Id, introspector.Secret, token)).GetProperty("active").GetBoolean(),
                Is.True,
                "a listed resource server");
            var stranger = await IntrospectAsync(client, other, otherSecret, token);
            Assert.That(stranger.GetProperty("active").GetBoolean(), Is.False, "another client");
            Assert.That(stranger.EnumerateObject().Count(), Is.EqualTo(1), "and nothing else (s.2.2)");
        });
    }

    [TestCase("unknown-token", null)]
    [TestCase("unknown-token", "refresh_token")]
    [TestCase("unknown-token", "something_else")]
    public async Task Unknown_tokens_are_answered_200(string token, string? hint)
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        using var response = await PostAsync(client, "/oauth2/revoke", id, secret, token, hint);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Revocation_without_a_token_parameter_is_invalid_request()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        using var response = await client.PostAsync("/oauth2/revoke", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["client_id"] = id, ["client_secret"] = secret,
        }));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(body.GetProperty("error").GetString(), Is.EqualTo("invalid_request"));
    }

    [Test]
    public async Task Tokens_of_a_deleted_application_are_inactive()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        var (caller, callerSecret) = introspector;
        var token = await TokenServiceHost.GetTokenAsync(client, id, secret);
        await host.Services.GetRequiredService<TokenService.Applications.Applications>().DeleteAsync(id, default);
        Assert.That((await IntrospectAsync(client, caller, callerSecret, token)).GetProperty("active").GetBoolean(), Is.False);
    }

    [Test]
    public async Task Tokens_issued_before_a_rotation_die_when_the_old_secret_does()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        var (caller, callerSecret) = introspector;
        var before = await TokenServiceHost.GetTokenAsync(client, id, secret);
        var applications = host.Services.GetRequiredService<TokenService.Applications.Applications>();
        await applications.RotateSecretAsync(id, TimeSpan.FromSeconds(2), default);
        var inGrace = (await IntrospectAsync(client, caller, callerSecret, before)).GetProperty("active").GetBoolean();
        await Task.Delay(TimeSpan.FromSeconds(2.2));
        Assert.Multiple(async () =>
        {
            Assert.That(inGrace, Is.True, "still good during the grace period");
            Assert.That((await IntrospectAsync(client, caller, callerSecret, before)).GetProperty("active").GetBoolean(), Is.False);
        });
    }

    [Test]
    public async Task The_feed_is_incremental_by_cursor()
    {
        var start = (await client.GetFromJsonAsync<JsonElement>("/oauth2/revocations")).GetProperty("cursor").GetInt64();
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        using var _ = await PostAsync(client, "/oauth2/revoke", id, secret, await TokenServiceHost.GetTokenAsync(client, id, secret));
        var next = await client.GetFromJsonAsync<JsonElement>($"/oauth2/revocations?since={start}");
        var after = await client.GetFromJsonAsync<JsonElement>($"/oauth2/revocations?since={next.GetProperty("cursor").GetInt64()}");
        Assert.Multiple(() =>
        {
            Assert.That(next.GetProperty("entries").GetArrayLength(), Is.EqualTo(1));
            Assert.That(next.GetProperty("cursor").GetInt64(), Is.GreaterThan(start));
            Assert.That(after.GetProperty("entries").GetArrayLength(), Is.Zero);
            Assert.That(next.GetProperty("keys").GetArrayLength(), Is.GreaterThan(0));
        });
    }

    [TestCase("abc")]
    [TestCase("-1")]
    public async Task A_malformed_cursor_is_400(string since)
    {
        using var response = await client.GetAsync($"/oauth2/revocations?since={since}");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task Discovery_lists_revocation_and_introspection()
    {
        var document = await client.GetFromJsonAsync<JsonElement>("/.well-known/openid-configuration");
        Assert.Multiple(() =>
        {
            Assert.That(document.GetProperty("revocation_endpoint").GetString(), Is.EqualTo("http://localhost:5000/oauth2/revoke"));
            Assert.That(document.GetProperty("introspection_endpoint").GetString(), Is.EqualTo("http://localhost:5000/oauth2/introspect"));
            Assert.That(document.TryGetProperty("introspection_endpoint_auth_methods_supported", out _), Is.True);
            Assert.That(document.TryGetProperty("revocation_endpoint_auth_methods_supported", out _), Is.True);
        });
    }
}
