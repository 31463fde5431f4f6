using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using TestSupport;
using TokenService.Cli;

namespace TokenService.Tests.ServiceToService;

/// <summary>
/// Issue 17 point 4: an application's own access-token lifetime (<c>accessTokenLifetimeSeconds</c>), bounded by the server's
/// MaxAccessTokenLifetimeSeconds (here 7200; the default lifetime stays 3600).
/// </summary>
public sealed class AccessTokenLifetimeTests
{
    private const int Max = 7200;
    private const string MaxText = "7200";
    private TokenServiceHost host = null!;
    private HttpClient client = null!;
    private HttpClient admin = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("lifetimes"),
            new Dictionary<string, string?> { ["MaxAccessTokenLifetimeSeconds"] = MaxText });
        client = await host.CreateReadyClientAsync();
        admin = await host.CreateManagementClientAsync(client);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        client.Dispose();
        admin.Dispose();
        await host.DisposeAsync();
    }

    private async Task<(string ClientId, string Secret, JsonElement Body)> CreateAsync(object? lifetime)
    {
        using var response = await admin.PostAsJsonAsync("/applications", new Dictionary<string, object?>
        {
            ["name"] = "life-" + Guid.NewGuid().ToString("N")[..8], ["scopes"] = new[] { "metric:query" },
            ["accessTokenLifetimeSeconds"] = lifetime,
        });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), body.ToString());
        return (body.GetProperty("clientId").GetString()!, body.GetProperty("secret").GetString()!, body);
    }

    private async Task<(int ExpiresIn, double TokenSeconds)> TokenLifetimeAsync(string clientId, string secret)
    {
        var jwt = new JsonWebToken(await TokenServiceHost.GetTokenAsync(client, clientId, secret));
        using var response = await client.PostAsync("/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret,
        }));
        var json = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (json.GetProperty("expires_in").GetInt32(), (jwt.ValidTo - jwt.IssuedAt).TotalSeconds);
    }

    [Test]
    public async Task An_application_with_its_own_lifetime_gets_tokens_that_live_exactly_that_long()
    {
        var (id, secret, body) = await CreateAsync(600);
        var (expiresIn, tokenSeconds) = await TokenLifetimeAsync(id, secret);
        Assert.Multiple(() =>
        {
            Assert.That(body.GetProperty("accessTokenLifetimeSeconds").GetInt32(), Is.EqualTo(600));
            Assert.That(expiresIn, Is.EqualTo(600));
            Assert.That(tokenSeconds, Is.EqualTo(600));
        });
    }

    [Test]
    public async Task Without_a_lifetime_an_application_gets_the_server_default()
    {
        var (id, secret, body) = await CreateAsync(null);
        var (expiresIn, tokenSeconds) = await TokenLifetimeAsync(id, secret);
        Assert.Multiple(() =>
        {
            Assert.That(body.GetProperty("accessTokenLifetimeSeconds").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(expiresIn, Is.EqualTo(3600));
            Assert.That(tokenSeconds, Is.EqualTo(3600));
        });
    }

    [TestCase(59)]
    [TestCase(Max + 1)]
    [TestCase(-1)]
    [TestCase(1.5)]
    public async Task A_lifetime_outside_the_bounds_is_a_400_naming_the_field(object lifetime)
    {
        using var response = await admin.PostAsJsonAsync("/applications", new Dictionary<string, object?>
        {
            ["name"] = "bad-" + Guid.NewGuid().ToString("N")[..8], ["scopes"] = new[] { "metric:query" },
            ["accessTokenLifetimeSeconds"] = lifetime,
        });
        var body = await response.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(body, Does.Contain("accessTokenLifetimeSeconds"));
        });
    }

    [Test]
    public async Task Update_sets_the_lifetime_up_to_the_maximum_and_null_restores_the_default()
    {
        var (id, secret, _) = await CreateAsync(null);
        using var raised = await admin.PatchAsJsonAsync($"/applications/{id}", new { accessTokenLifetimeSeconds = Max });
        var atMax = await TokenLifetimeAsync(id, secret);
        using var tooLong = await admin.PatchAsJsonAsync($"/applications/{id}", new { accessTokenLifetimeSeconds = Max + 1 });
        using var reset = await admin.PatchAsync($"/applications/{id}",
            new StringContent("""{"accessTokenLifetimeSeconds":null}""", System.Text.Encoding.UTF8, "application/json"));
        var afterReset = await TokenLifetimeAsync(id, secret);
        Assert.Multiple(() =>
        {
            Assert.That(raised.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(atMax.ExpiresIn, Is.EqualTo(Max));
            Assert.That(tooLong.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(reset.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(afterReset.ExpiresIn, Is.EqualTo(3600));
        });
    }

    [Test]
    public async Task Cli_create_and_update_set_the_lifetime_and_refuse_one_past_the_maximum()
    {
        var (createCode, created, _) = await CliAsync("applications", "create", "--name", "cli-life", "--scopes", "metric:query",
            "--access-token-lifetime", "900");
        var id = JsonDocument.Parse(created).RootElement.GetProperty("clientId").GetString()!;
        var (tooLongCode, _, tooLongError) = await CliAsync("applications", "update", id, "--access-token-lifetime", "100000");
        var (resetCode, reset, _) = await CliAsync("applications", "update", id, "--default-access-token-lifetime");
        Assert.Multiple(() =>
        {
            Assert.That(createCode, Is.EqualTo(OpsCli.Ok));
            Assert.That(JsonDocument.Parse(created).RootElement.GetProperty("accessTokenLifetimeSeconds").GetInt32(), Is.EqualTo(900));
            Assert.That(tooLongCode, Is.EqualTo(OpsCli.Usage));
            Assert.That(tooLongError, Does.Contain("accessTokenLifetimeSeconds"));
            Assert.That(resetCode, Is.EqualTo(OpsCli.Ok));
            Assert.That(JsonDocument.Parse(reset).RootElement.GetProperty("accessTokenLifetimeSeconds").ValueKind,
                Is.EqualTo(JsonValueKind.Null));
            // Options not given change nothing (an update used to empty the scopes and the allowed tenants).
            Assert.That(JsonDocument.Parse(reset).RootElement.GetProperty("scopes").EnumerateArray().Select(e => e.GetString()),
                Is.EqualTo(new[] { "metric:query" }));
            Assert.That(JsonDocument.Parse(reset).RootElement.GetProperty("allowedTenants").ValueKind, Is.EqualTo(JsonValueKind.Null));
        });
    }

    private async Task<(int Code, string Out, string Error)> CliAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await OpsCli.RunAsync(args, stdout, stderr, new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = host.ConnectionString, ["KEY_ENCRYPTION_KEY"] = host.KeyEncryptionKey,
            ["MaxAccessTokenLifetimeSeconds"] = MaxText,
        });
        return (code, stdout.ToString(), stderr.ToString());
    }
}
