using System.Text.Json;
using TestSupport;

namespace TokenService.Tests.OpenApi;

/// <summary>/openapi/v1.json: a valid OpenAPI document that describes the token endpoint as callers use it.</summary>
public sealed class OpenApiDocumentTests
{
    private TokenServiceHost host = null!;
    private JsonElement document;

    [OneTimeSetUp]
    public async Task FetchAsync()
    {
        host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("openapi"));
        using var client = host.CreateClient();
        using var response = await client.GetAsync("/openapi/v1.json");
        Assert.That(response.IsSuccessStatusCode, Is.True, "GET /openapi/v1.json");
        document = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await host.DisposeAsync();

    private JsonElement TokenOperation => document.GetProperty("paths").GetProperty("/oauth2/token").GetProperty("post");

    [Test]
    public void Document_is_openapi_3_with_info_and_paths()
    {
        Assert.Multiple(() =>
        {
            Assert.That(document.GetProperty("openapi").GetString(), Does.StartWith("3."));
            Assert.That(document.GetProperty("info").GetProperty("title").GetString(), Is.EqualTo("TokenService"));
            Assert.That(document.GetProperty("paths").EnumerateObject().Count(), Is.GreaterThan(0));
        });
    }

    [Test]
    public void Token_endpoint_lists_its_200_400_and_401_responses()
    {
        var responses = TokenOperation.GetProperty("responses").EnumerateObject().Select(r => r.Name).ToList();
        Assert.That(responses, Is.SupersetOf(new[] { "200", "400", "401" }));
    }

    [Test]
    public void Token_request_is_described_as_a_form_with_grant_type_required()
    {
        var schema = TokenOperation.GetProperty("requestBody").GetProperty("content")
            .GetProperty("application/x-www-form-urlencoded").GetProperty("schema");
        Assert.Multiple(() =>
        {
            Assert.That(schema.GetProperty("required").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "grant_type" }));
            Assert.That(schema.GetProperty("properties").EnumerateObject().Select(p => p.Name),
                Is.SupersetOf(new[] { "grant_type", "client_id", "client_secret", "scope", "tenant", "code", "code_verifier", "refresh_token" }));
        });
    }

    [Test]
    public void Token_response_schema_names_the_rfc_6749_members()
    {
        var schema = TokenOperation.GetProperty("responses").GetProperty("200").GetProperty("content")
            .GetProperty("application/json").GetProperty("schema");
        Assert.That(schema.GetProperty("properties").EnumerateObject().Select(p => p.Name),
            Is.SupersetOf(new[] { "access_token", "token_type", "expires_in", "scope" }));
    }

    [Test]
    public void The_management_api_is_described_applications_users_and_audit()
    {
        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.That(paths, Is.SupersetOf(new[]
        {
            "/applications", "/applications/{clientId}", "/applications/{clientId}/rotate-secret", "/users", "/audit",
            "/oauth2/revoke", "/oauth2/introspect", "/userinfo",
        }));
    }

    [Test]
    public void Html_pages_and_the_metrics_endpoint_are_left_out()
    {
        var paths = document.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        Assert.That(paths, Has.None.StartsWith("/oauth2/authorize").And.None.EqualTo("/metrics"));
    }

    [Test]
    public async Task Reference_page_is_served_only_in_development()
    {
        using var client = host.CreateClient();
        using var response = await client.GetAsync("/scalar/v1");
        Assert.That((int)response.StatusCode, Is.EqualTo(404), "the test host runs as Testing, not Development");
    }
}
