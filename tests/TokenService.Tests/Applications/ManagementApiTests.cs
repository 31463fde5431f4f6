using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using TestSupport;
using TokenService.Changes;

namespace TokenService.Tests.Applications;

/// <summary>The management API under /applications, driven over HTTP with real bearer tokens from this service.</summary>
public sealed class ManagementApiTests
{
    private TokenServiceHost host = null!;
    private HttpClient anonymous = null!;
    private HttpClient admin = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("mgmtapi"));
        anonymous = await host.CreateReadyClientAsync();
        var (id, secret) = await host.CreateApplicationAsync(null, "application:admin");
        admin = host.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenServiceHost.GetTokenAsync(anonymous, id, secret));
        for (var i = 0; i < 100 && !host.Services.GetRequiredService<ChangeListener>().Listening; i++)
        {
            await Task.Delay(20);
        }
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        anonymous.Dispose();
        admin.Dispose();
        await host.DisposeAsync();
    }

    private static string UniqueName() => "app-" + Guid.NewGuid().ToString("N")[..10];

    private async Task<JsonElement> CreateAsync(object body)
    {
        using var response = await admin.PostAsJsonAsync("/applications", body);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<HttpStatusCode> TokenStatusAsync(string id, string secret, string? tenant = null)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = id, ["client_secret"] = secret };
        if (tenant is not null)
        {
            form["tenant"] = tenant;
        }

        using var response = await anonymous.PostAsync("/oauth2/token", new FormUrlEncodedContent(form));
        return response.StatusCode;
    }

    [Test]
    public async Task Create_returns_201_with_location_and_the_secret_only_once()
    {
        var created = await CreateAsync(new { name = UniqueName(), description = "d", scopes = new[] { "metric:query" } });
        var id = created.GetProperty("clientId").GetString()!;
        var secret = created.GetProperty("secret").GetString()!;
        var fetched = await admin.GetStringAsync($"/applications/{id}");
        var listed = await admin.GetStringAsync("/applications");
        Assert.Multiple(async () =>
        {
            Assert.That(secret, Does.StartWith("tss_"));
            Assert.That(fetched, Does.Contain(id));
            Assert.That(fetched, Does.Not.Contain(secret).And.Not.Contain("argon2").And.Not.Contain("secret\""));
            Assert.That(listed, Does.Contain(id).And.Not.Contain("argon2").And.Not.Contain(secret));
            Assert.That(await TokenStatusAsync(id, secret), Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task Create_sets_the_location_header()
    {
        using var response = await admin.PostAsJsonAsync("/applications", new { name = UniqueName() });
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("clientId").GetString();
        Assert.That(response.Headers.Location?.ToString(), Is.EqualTo($"/applications/{id}"));
    }

    [TestCase("{\"name\": \"\"}", "name")]
    [TestCase("{\"name\": \"ok-name-1\", \"scopes\": [\"nope\"]}", "scopes")]
    [TestCase("{\"name\": \"ok-name-2\", \"scopes\": \"metric:query\"}", "scopes")]
    [TestCase("{\"name\": \"ok-name-3\", \"allowedTenants\": [\"bad tenant!\"]}", "allowedTenants")]
    [TestCase("{\"name\": \"ok-name-4\", \"scope\": [\"metric:query\"]}", "scope")]
    [TestCase("{\"name\": \"ok-name-5\", \"redirectUris\": [\"http://example.com/cb\"]}", "redirectUris")]
    [TestCase("not json", "body")]
    // An outside review: a NUL reached PostgreSQL (500); characters RFC 3986 does not allow were stored.
    [TestCase("{\"name\": \"ok-name-6\", \"redirectUris\": [\"https://a.example/\\u0000\"]}", "redirectUris")]
    [TestCase("{\"name\": \"ok-\\u0000-7\"}", "name")]
    [TestCase("{\"name\": \"ok-name-8\", \"description\": \"a\\u0000b\"}", "description")]
    [TestCase("{\"name\": \"ok-name-9\", \"redirectUris\": [\"https://app.example.com/cb?x=\\\"><script>\"]}", "redirectUris")]
    public async Task Invalid_input_is_400_problem_details_naming_the_field(string json, string field)
    {
        using var response = await admin.PostAsync("/applications", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(body.GetProperty("errors").TryGetProperty(field, out _), Is.True, body.ToString());
        });
    }

    [Test]
    public async Task A_taken_name_is_409_on_create_and_on_update()
    {
        var name = UniqueName();
        await CreateAsync(new { name });
        var other = await CreateAsync(new { name = UniqueName() });
        using var create = await admin.PostAsJsonAsync("/applications", new { name = name.ToUpperInvariant() });
        using var update = await admin.PatchAsJsonAsync($"/applications/{other.GetProperty("clientId").GetString()}", new { name });
        Assert.Multiple(() =>
        {
            Assert.That(create.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
            Assert.That(update.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        });
    }

    [TestCase("GET", "")]
    [TestCase("PATCH", "")]
    [TestCase("DELETE", "")]
    [TestCase("POST", "/rotate-secret")]
    public async Task An_unknown_client_id_is_404_problem(string method, string suffix)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), "/applications/nosuchclient" + suffix);
        if (method == "PATCH")
        {
            request.Content = JsonContent.Create(new { name = "x-" + Guid.NewGuid().ToString("N")[..6] });
        }

        using var response = await admin.SendAsync(request);
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
        });
    }

    [Test]
    public async Task Update_changes_only_the_given_fields()
    {
        var created = await CreateAsync(new { name = UniqueName(), description = "before", scopes = new[] { "metric:query" } });
        var id = created.GetProperty("clientId").GetString()!;
        using var response = await admin.PatchAsJsonAsync($"/applications/{id}", new { description = "after", scopes = new[] { "metric:read" } });
        var updated = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(updated.GetProperty("name").GetString(), Is.EqualTo(created.GetProperty("name").GetString()));
            Assert.That(updated.GetProperty("description").GetString(), Is.EqualTo("after"));
            Assert.That(updated.GetProperty("scopes")[0].GetString(), Is.EqualTo("metric:read"));
        });
    }

    [Test]
    public async Task Delete_is_204_and_the_credentials_stop_working()
    {
        var created = await CreateAsync(new { name = UniqueName() });
        var (id, secret) = (created.GetProperty("clientId").GetString()!, created.GetProperty("secret").GetString()!);
        using var deleted = await admin.DeleteAsync($"/applications/{id}");
        using var again = await admin.GetAsync($"/applications/{id}");
        Assert.Multiple(async () =>
        {
            Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(await TokenStatusAsync(id, secret), Is.EqualTo(HttpStatusCode.Unauthorized));
        });
    }

    [Test]
    public async Task Rotation_without_grace_stops_the_old_secret_at_once()
    {
        var created = await CreateAsync(new { name = UniqueName() });
        var (id, secret) = (created.GetProperty("clientId").GetString()!, created.GetProperty("secret").GetString()!);
        using var response = await admin.PostAsync($"/applications/{id}/rotate-secret", null);
        var rotated = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Multiple(async () =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(response.Headers.CacheControl?.NoStore, Is.True);
            Assert.That(await TokenStatusAsync(id, secret), Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(await TokenStatusAsync(id, rotated.GetProperty("secret").GetString()!), Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task During_the_grace_period_both_secrets_work_and_the_old_one_stops_at_expiry()
    {
        var created = await CreateAsync(new { name = UniqueName() });
        var (id, secret) = (created.GetProperty("clientId").GetString()!, created.GetProperty("secret").GetString()!);
        using var response = await admin.PostAsJsonAsync($"/applications/{id}/rotate-secret", new { gracePeriodSeconds = 6 });
        var rotated = await response.Content.ReadFromJsonAsync<JsonElement>();
        var newSecret = rotated.GetProperty("secret").GetString()!;
        using var old = await anonymous.PostAsync("/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = id, ["client_secret"] = secret,
        }));
        var oldBody = await old.Content.ReadAsStringAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(rotated.TryGetProperty("previousSecretExpiresAt", out _), Is.True);
            Assert.That(old.StatusCode, Is.EqualTo(HttpStatusCode.OK), "old secret in grace: " + oldBody);
            Assert.That(JsonDocument.Parse(oldBody).RootElement.GetProperty("expires_in").GetInt32(), Is.LessThanOrEqualTo(6),
                "a token got with the old secret dies with it");
            Assert.That(await TokenStatusAsync(id, newSecret), Is.EqualTo(HttpStatusCode.OK), "new secret");
        });
        var expiresAt = rotated.GetProperty("previousSecretExpiresAt").GetDateTimeOffset();
        await Task.Delay(expiresAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(100));
        Assert.Multiple(async () =>
        {
            Assert.That(await TokenStatusAsync(id, secret), Is.EqualTo(HttpStatusCode.Unauthorized), "grace over");
            Assert.That(await TokenStatusAsync(id, newSecret), Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [TestCase(-1)]
    [TestCase(100_000_000)]
    public async Task A_grace_period_out_of_range_is_400_naming_it(int seconds)
    {
        var created = await CreateAsync(new { name = UniqueName() });
        using var response = await admin.PostAsJsonAsync($"/applications/{created.GetProperty("clientId").GetString()}/rotate-secret",
            new { gracePeriodSeconds = seconds });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"));
            Assert.That(body.GetProperty("errors").TryGetProperty("gracePeriodSeconds", out _), Is.True, body.ToString());
        });
    }

    [Test]
    public async Task Allowed_tenants_restrict_client_credentials_and_can_be_lifted()
    {
        var created = await CreateAsync(new { name = UniqueName(), allowedTenants = new[] { "acme", "globex" } });
        var (id, secret) = (created.GetProperty("clientId").GetString()!, created.GetProperty("secret").GetString()!);
        Assert.Multiple(async () =>
        {
            Assert.That(await TokenStatusAsync(id, secret, "acme"), Is.EqualTo(HttpStatusCode.OK));
            Assert.That(await TokenStatusAsync(id, secret, "initech"), Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(await TokenStatusAsync(id, secret), Is.EqualTo(HttpStatusCode.BadRequest), "no tenant would see every tenant");
        });
        using var lifted = await admin.PatchAsync($"/applications/{id}",
            new StringContent("{\"allowedTenants\": null}", System.Text.Encoding.UTF8, "application/json"));
        Assert.That(lifted.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await TokenStatusAsync(id, secret, "initech"), Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Adding_a_redirect_uri_keeps_client_credentials_and_removing_them_keeps_it_too()
    {
        var created = await CreateAsync(new { name = UniqueName(), scopes = new[] { "metric:query" } });
        var (id, secret) = (created.GetProperty("clientId").GetString()!, created.GetProperty("secret").GetString()!);
        using var added = await admin.PatchAsJsonAsync($"/applications/{id}", new { redirectUris = new[] { "https://app.example.com/cb" } });
        var withSignIn = await added.Content.ReadFromJsonAsync<JsonElement>();
        var tokenAfterAdding = await TokenStatusAsync(id, secret);
        using var removed = await admin.PatchAsJsonAsync($"/applications/{id}", new { redirectUris = Array.Empty<string>() });
        var withoutSignIn = await removed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Multiple(() =>
        {
            Assert.That(added.StatusCode, Is.EqualTo(HttpStatusCode.OK), withSignIn.ToString());
            Assert.That(withSignIn.GetProperty("grantTypes").EnumerateArray().Select(g => g.GetString()),
                Is.EquivalentTo(new[] { "authorization_code", "refresh_token", "client_credentials" }));
            Assert.That(tokenAfterAdding, Is.EqualTo(HttpStatusCode.OK), "the backend's client_credentials still works");
            Assert.That(removed.StatusCode, Is.EqualTo(HttpStatusCode.OK), withoutSignIn.ToString());
            Assert.That(withoutSignIn.GetProperty("grantTypes").EnumerateArray().Select(g => g.GetString()),
                Is.EqualTo(new[] { "client_credentials" }));
        });
    }

    [Test]
    public async Task A_tenant_outside_the_list_gets_an_rfc6749_invalid_request()
    {
        var created = await CreateAsync(new { name = UniqueName(), allowedTenants = new[] { "acme" } });
        using var response = await anonymous.PostAsync("/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = created.GetProperty("clientId").GetString()!,
            ["client_secret"] = created.GetProperty("secret").GetString()!, ["tenant"] = "globex",
        }));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(body.GetProperty("error").GetString(), Is.EqualTo("invalid_request"));
    }

    [Test]
    public async Task Without_a_token_the_api_is_401_with_a_bare_bearer_challenge()
    {
        using var response = await anonymous.GetAsync("/applications");
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(response.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Bearer"));
        });
    }

    [Test]
    public async Task A_bad_token_is_401_invalid_token()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/applications");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln");
        using var response = await anonymous.SendAsync(request);
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.Contain("error=\"invalid_token\""));
        });
    }

    /// <summary>
    /// RFC 8707 (issue 11 point 6): a token without application:admin is for the ResourceApi only (its aud names
    /// nothing else), so the management API refuses it as not its own, 401 invalid_token, not as a scope problem.
    /// </summary>
    [Test]
    public async Task A_token_without_application_admin_is_not_for_this_api_401_invalid_token()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/applications");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenServiceHost.GetTokenAsync(anonymous, id, secret));
        using var response = await anonymous.SendAsync(request);
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.Contain("error=\"invalid_token\""));
        });
    }

    [Test]
    public async Task A_revoked_admin_token_is_refused()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "application:admin");
        var token = await TokenServiceHost.GetTokenAsync(anonymous, id, secret);
        using var revoke = await anonymous.PostAsync("/oauth2/revoke", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = token, ["client_id"] = id, ["client_secret"] = secret,
        }));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/applications");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await anonymous.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }
}
