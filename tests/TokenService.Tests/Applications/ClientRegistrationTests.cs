using System.Text.Json;
using Dapper;
using Npgsql;
using TestSupport;
using TokenService.Applications;
using TokenService.Cli;

namespace TokenService.Tests.Applications;

/// <summary>Client type, redirect URIs (RFC 6749 s.3.1.2, RFC 8252) and grant types of applications.</summary>
public sealed class ClientRegistrationTests
{
    private string database = null!;

    [OneTimeSetUp]
    public async Task CreateDatabaseAsync() => database = await PostgresServer.CreateDatabaseAsync("clients");

    private async Task<(int Code, JsonElement? Json, string Error)> CreateAsync(params string[] options)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await OpsCli.RunAsync(["applications", "create", "--name", "app-" + Guid.NewGuid().ToString("N")[..8], .. options],
            stdout, stderr, new Dictionary<string, string?> { ["DATABASE_URL"] = database });
        return (code, code == OpsCli.Ok ? JsonDocument.Parse(stdout.ToString()).RootElement : null, stderr.ToString());
    }

    private static string[] Strings(JsonElement json, string property) =>
        json.GetProperty(property).EnumerateArray().Select(e => e.GetString()!).ToArray();

    [Test]
    public async Task Public_client_has_no_secret_and_defaults_to_authorization_code_and_refresh_token()
    {
        var (code, json, error) = await CreateAsync("--type", "public", "--redirect-uris", "http://127.0.0.1:8080/cb,com.example.app:/oauth",
            "--scopes", "openid profile email offline_access");
        await using var connection = new NpgsqlConnection(database);
        var stored = await connection.QuerySingleAsync<(string? Hash, string Type)>(
            "SELECT secret_hash, client_type FROM applications WHERE client_id = @id", new { id = json!.Value.GetProperty("clientId").GetString() });
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(OpsCli.Ok), error);
            Assert.That(json!.Value.TryGetProperty("secret", out _), Is.False);
            Assert.That(json.Value.GetProperty("clientType").GetString(), Is.EqualTo("public"));
            Assert.That(Strings(json.Value, "redirectUris"), Is.EqualTo(new[] { "http://127.0.0.1:8080/cb", "com.example.app:/oauth" }));
            Assert.That(Strings(json.Value, "grantTypes"), Is.EqualTo(new[] { "authorization_code", "refresh_token" }));
            Assert.That(stored.Hash, Is.Null);
            Assert.That(stored.Type, Is.EqualTo("public"));
        });
    }

    [Test]
    public async Task Existing_options_alone_still_make_a_confidential_client_credentials_application()
    {
        var (code, json, _) = await CreateAsync("--scopes", "metric:query");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(OpsCli.Ok));
            Assert.That(json!.Value.GetProperty("secret").GetString(), Does.StartWith("tss_"));
            Assert.That(json.Value.GetProperty("clientType").GetString(), Is.EqualTo("confidential"));
            Assert.That(Strings(json.Value, "grantTypes"), Is.EqualTo(new[] { "client_credentials" }));
        });
    }

    [Test]
    public async Task Confidential_client_may_combine_grant_types()
    {
        var (code, json, error) = await CreateAsync("--redirect-uris", "https://app.example/cb", "--grant-types",
            "authorization_code refresh_token client_credentials");
        Assert.That(code, Is.EqualTo(OpsCli.Ok), error);
        Assert.That(Strings(json!.Value, "grantTypes"), Has.Length.EqualTo(3));
    }

    [TestCase("https://app.example/cb", "confidential", true)]
    [TestCase("http://127.0.0.1:49152/cb", "public", true)]
    [TestCase("http://[::1]:8080/cb", "public", true)]
    [TestCase("http://localhost/cb", "confidential", true)]
    [TestCase("com.example.app:/oauth2redirect", "public", true)]
    [TestCase("com.example.app:/oauth2redirect", "confidential", false)]
    [TestCase("http://app.example/cb", "confidential", false)]
    [TestCase("http://127.0.0.2.nip.io/cb", "public", false)]
    [TestCase("https://app.example/cb#fragment", "confidential", false)]
    [TestCase("https://user:pass@app.example/cb", "confidential", false)]
    [TestCase("javascript:alert(1)", "public", false)]
    [TestCase("/relative/cb", "public", false)]
    public void Redirect_uri_rules(string uri, string clientType, bool allowed) =>
        Assert.That(ClientSettings.CheckRedirectUri(uri, clientType), allowed ? Is.Null : Is.Not.Null);

    // Each row names the field the one line must blame and a word of the reason, so a refusal for another cause
    // (a setting, the database, another field) cannot pass for this one.
    [TestCase("grantTypes", "cannot use client_credentials", new[] { "--type", "public" },
        TestName = "Public_client_without_redirect_uris_is_refused")]
    [TestCase("grantTypes", "client_credentials",
        new[] { "--type", "public", "--redirect-uris", "http://127.0.0.1/cb", "--grant-types", "client_credentials" },
        TestName = "Public_client_with_client_credentials_is_refused")]
    [TestCase("grantTypes", "redirect URI", new[] { "--grant-types", "authorization_code" },
        TestName = "Authorization_code_without_redirect_uris_is_refused")]
    [TestCase("grantTypes", "redirect URIs are only used by authorization_code",
        new[] { "--redirect-uris", "https://a.example/cb", "--grant-types", "client_credentials" },
        TestName = "Redirect_uris_without_authorization_code_are_refused")]
    [TestCase("grantTypes", "unknown grant type 'password'",
        new[] { "--redirect-uris", "https://a.example/cb", "--grant-types", "authorization_code password" },
        TestName = "Unknown_grant_type_is_refused")]
    [TestCase("type", "confidential or public", new[] { "--type", "secretive" }, TestName = "Unknown_client_type_is_refused")]
    [TestCase("redirectUris", "only loopback hosts", new[] { "--redirect-uris", "http://evil.example/cb" },
        TestName = "Plain_http_redirect_uri_outside_loopback_is_refused")]
    public async Task Inconsistent_settings_exit_2(string field, string reason, string[] options)
    {
        var (code, json, error) = await CreateAsync(options);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(OpsCli.Usage));
            Assert.That(json, Is.Null, "nothing is created");
            Assert.That(error.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
            Assert.That(error, Does.StartWith($"error: {field}: ").And.Contain(reason));
        });
    }

    [Test]
    public async Task Rotate_secret_of_a_public_client_is_refused()
    {
        var (_, json, _) = await CreateAsync("--type", "public", "--redirect-uris", "http://127.0.0.1/cb");
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await OpsCli.RunAsync(["applications", "rotate-secret", json!.Value.GetProperty("clientId").GetString()!], stdout, stderr,
            new Dictionary<string, string?> { ["DATABASE_URL"] = database });
        Assert.That(code, Is.Not.EqualTo(OpsCli.Ok));
    }
}
