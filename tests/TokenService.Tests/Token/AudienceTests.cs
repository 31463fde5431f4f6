using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using TestSupport;

namespace TokenService.Tests.Token;

/// <summary>
/// Issue 11 point 6, RFC 8707: <c>resource</c> picks the audience among the APIs the application's scopes serve, the
/// management API accepts only tokens whose aud names it, and discovery says which resources there are.
/// </summary>
public sealed class AudienceTests
{
    private const string Issuer = "http://localhost:5000";
    private TokenServiceHost host = null!;
    private HttpClient client = null!;
    private (string Id, string Secret) both;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("audiences"));
        client = await host.CreateReadyClientAsync();
        both = await host.CreateApplicationAsync(null, "application:admin", "metric:query");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        client.Dispose();
        await host.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> TokenAsync(string? resource, string? scope = null)
    {
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = both.Id, ["client_secret"] = both.Secret
        };
        if (resource is not null)
        {
            form["resource"] = resource;
        }

        if (scope is not null)
        {
            form["scope"] = scope;
        }

        using var response = await client.PostAsync("/oauth2/token", new FormUrlEncodedContent(form));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static string[] Audiences(JsonElement body) =>
        new JsonWebToken(body.GetProperty("access_token").GetString()).Audiences.ToArray();

    private async Task<HttpResponseMessage> ListApplicationsAsync(JsonElement body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/applications");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", body.GetProperty("access_token").GetString());
        return await client.SendAsync(request);
    }

    [Test]
    public async Task Without_resource_a_token_names_every_api_its_scopes_serve()
    {
        var (status, body) = await TokenAsync(null);
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(Audiences(body), Is.EquivalentTo(new[] { "resource-api", Issuer }));
        });
    }

    [Test]
    public async Task A_resource_api_token_leaves_out_application_admin_and_is_refused_by_the_management_api()
    {
        var (status, body) = await TokenAsync("resource-api");
        using var management = await ListApplicationsAsync(body);
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(Audiences(body), Is.EqualTo(new[] { "resource-api" }));
            Assert.That(body.GetProperty("scope").GetString(), Is.EqualTo("metric:query"));
            Assert.That(management.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(management.Headers.WwwAuthenticate.ToString(), Does.Contain("error=\"invalid_token\""));
        });
    }

    [Test]
    public async Task A_management_token_is_accepted_by_the_management_api_and_holds_no_resource_api_scope()
    {
        var (status, body) = await TokenAsync(Issuer);
        using var management = await ListApplicationsAsync(body);
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(Audiences(body), Is.EqualTo(new[] { Issuer }));
            Assert.That(body.GetProperty("scope").GetString(), Is.EqualTo("application:admin"));
            Assert.That(management.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [TestCase("https://elsewhere.example/api", null, "invalid_target")]
    [TestCase("resource-api", "application:admin", "invalid_scope")]
    [TestCase("resource-api\n", null, "invalid_target")]
    [TestCase("resource-api", "metric:query\n", "invalid_scope")]
    public async Task A_resource_the_application_may_not_use_is_refused(string resource, string? scope, string error)
    {
        var (status, body) = await TokenAsync(resource, scope);
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(body.GetProperty("error").GetString(), Is.EqualTo(error));
        });
    }

    [Test]
    public async Task Discovery_lists_the_resources_and_only_what_is_implemented()
    {
        var json = JsonDocument.Parse(await client.GetStringAsync("/.well-known/openid-configuration")).RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(json.GetProperty("resources_supported").EnumerateArray().Select(e => e.GetString()),
                Is.EquivalentTo(new[] { "resource-api", Issuer }));
            Assert.That(json.GetProperty("request_uri_parameter_supported").GetBoolean(), Is.False);
            // Issue 17 point 1: private_key_jwt is implemented now, so its algorithms are listed, and only those.
            Assert.That(json.GetProperty("token_endpoint_auth_signing_alg_values_supported").EnumerateArray().Select(e => e.GetString()),
                Is.EqualTo(new[] { "RS256", "PS256", "ES256" }), "JWT client authentication (private_key_jwt) and what signs it");
        });
    }

    [Test] // Issue 11 points 4 and 5: the management API for roles, tenants and sign-out everywhere.
    public async Task The_users_api_grants_roles_and_tenants_and_refuses_unknown_ones()
    {
        var (_, body) = await TokenAsync(Issuer);
        var username = "api-" + Guid.NewGuid().ToString("N")[..8];
        await host.CreateUserAsync(username, "a long enough password");
        async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path)
        {
            using var request = new HttpRequestMessage(method, path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", body.GetProperty("access_token").GetString());
            return await client.SendAsync(request);
        }

        using var role = await SendAsync(HttpMethod.Put, $"/users/{username}/roles/application-admin");
        using var tenant = await SendAsync(HttpMethod.Put, $"/users/{username}/tenants/acme");
        using var unknown = await SendAsync(HttpMethod.Put, $"/users/{username}/roles/root");
        using var missing = await SendAsync(HttpMethod.Put, "/users/nobody-here/tenants/acme");
        using var removed = await SendAsync(HttpMethod.Delete, $"/users/{username}/tenants/acme");
        using var signOut = await SendAsync(HttpMethod.Post, $"/users/{username}/sign-out");
        var shown = JsonDocument.Parse(await (await SendAsync(HttpMethod.Get, $"/users/{username}")).Content.ReadAsStringAsync())
            .RootElement;
        var roleBody = JsonDocument.Parse(await tenant.Content.ReadAsStringAsync()).RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(role.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(roleBody.GetProperty("tenants").EnumerateArray().Select(t => t.GetString()), Is.EqualTo(new[] { "acme" }));
            Assert.That(unknown.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(missing.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
            Assert.That(removed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(signOut.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(shown.GetProperty("roles").EnumerateArray().Select(t => t.GetString()), Is.EqualTo(new[] { "application-admin" }));
            Assert.That(shown.GetProperty("tenants").GetArrayLength(), Is.Zero);
        });
    }
}
