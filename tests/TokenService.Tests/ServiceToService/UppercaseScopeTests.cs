using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using TestSupport;
using TokenService.Cli;

namespace TokenService.Tests.ServiceToService;

/// <summary>
/// Issue 17 point 5: Propel's uppercase scope names (seed 001) mean exactly the lowercase scopes wherever scopes are given;
/// what is stored and issued is always the lowercase form.
/// </summary>
public sealed class UppercaseScopeTests
{
    private TokenServiceHost host = null!;
    private HttpClient client = null!;
    private HttpClient admin = null!;
    private string clientId = null!;
    private string secret = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("upperscopes"));
        client = await host.CreateReadyClientAsync();
        (clientId, secret) = await host.CreateApplicationAsync(null, "METRIC_QUERY", "DATA_POOL_QUERY", "metric:stats");
        admin = await host.CreateManagementClientAsync(client, "APPLICATION_ADMIN");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        client.Dispose();
        admin.Dispose();
        await host.DisposeAsync();
    }

    private async Task<JsonElement> TokenAsync(string scope)
    {
        using var response = await client.PostAsync("/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret, ["scope"] = scope,
        }));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Test]
    public async Task Uppercase_scopes_in_a_token_request_are_issued_in_lowercase()
    {
        var json = await TokenAsync("DATA_POOL_QUERY METRIC_QUERY");
        var token = new JsonWebToken(json.GetProperty("access_token").GetString());
        Assert.Multiple(() =>
        {
            Assert.That(json.GetProperty("scope").GetString(), Is.EqualTo("data_pool:query metric:query"));
            Assert.That(token.GetClaim("scope").Value, Is.EqualTo("data_pool:query metric:query"));
        });
    }

    [Test]
    public async Task An_uppercase_scope_and_its_lowercase_form_are_one_scope()
    {
        var json = await TokenAsync("metric:query METRIC_QUERY METRIC_STATS");
        Assert.That(json.GetProperty("scope").GetString(), Is.EqualTo("metric:query metric:stats"));
    }

    [TestCase("ADMIN", TestName = "Uppercase_scope_the_application_lacks_is_invalid_scope")]
    [TestCase("Metric_Query", TestName = "Mixed_case_scope_is_no_alias_and_invalid_scope")]
    [TestCase("OPENID", TestName = "Uppercase_openid_is_no_alias_and_invalid_scope")]
    public async Task Scope_outside_the_aliases_is_refused(string scope)
    {
        using var response = await client.PostAsync("/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret, ["scope"] = scope,
        }));
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(json.GetProperty("error").GetString(), Is.EqualTo("invalid_scope"));
        });
    }

    [Test]
    public async Task Management_api_stores_uppercase_scopes_in_lowercase_on_create_and_update()
    {
        using var created = await admin.PostAsJsonAsync("/applications",
            new { name = "upper-" + Guid.NewGuid().ToString("N")[..8], scopes = new[] { "ADMIN", "METRIC_READ", "DATA_POOL_STATS" } });
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var id = body.GetProperty("clientId").GetString();
        using var updated = await admin.PatchAsJsonAsync($"/applications/{id}",
            new { scopes = new[] { "APPLICATION_ADMIN", "metric:query" } });
        var after = await updated.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Multiple(() =>
        {
            Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created));
            Assert.That(body.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()),
                Is.EqualTo(new[] { "admin", "metric:read", "data_pool:stats" }));
            Assert.That(updated.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(after.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()),
                Is.EqualTo(new[] { "application:admin", "metric:query" }));
        });
    }

    [Test]
    public async Task Cli_create_stores_uppercase_scopes_in_lowercase()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var settings = new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = host.ConnectionString, ["KEY_ENCRYPTION_KEY"] = host.KeyEncryptionKey,
        };
        var code = await OpsCli.RunAsync(["applications", "create", "--name", "cli-upper", "--scopes", "METRIC_QUERY,METRIC_STATS"],
            stdout, stderr, settings);
        var json = JsonDocument.Parse(stdout.ToString()).RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(OpsCli.Ok), stderr.ToString());
            Assert.That(json.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()),
                Is.EqualTo(new[] { "metric:query", "metric:stats" }));
        });
    }
}
