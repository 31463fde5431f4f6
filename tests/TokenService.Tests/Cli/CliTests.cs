using System.Text.Json;
using Dapper;
using Npgsql;
using TestSupport;
using TokenService.Cli;

namespace TokenService.Tests.Cli;

/// <summary>The ops command line, run in-process exactly as `TokenService ...` runs it.</summary>
public sealed class CliTests
{
    private string database = null!;

    [OneTimeSetUp]
    public async Task CreateDatabaseAsync() => database = await PostgresServer.CreateDatabaseAsync("cli");

    private Task<(int Code, string Out, string Error)> RunAsync(params string[] args) => CliRun.RunAsync(database, args);

    [Test]
    public async Task Applications_create_prints_json_with_client_id_and_secret()
    {
        var (code, output, _) = await RunAsync("applications", "create", "--name", "cli-create", "--description", "Billing backend",
            "--scopes", "metric:query metric:stats");
        var json = JsonDocument.Parse(output).RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(OpsCli.Ok));
            Assert.That(json.GetProperty("clientId").GetString(), Has.Length.EqualTo(26));
            Assert.That(json.GetProperty("secret").GetString(), Does.StartWith("tss_"));
            Assert.That(json.GetProperty("scopes").EnumerateArray().Select(s => s.GetString()), Is.EqualTo(new[] { "metric:query", "metric:stats" }));
        });
    }

    private static IEnumerable<string?> Strings(JsonElement json, string member) =>
        json.GetProperty(member).ValueKind == JsonValueKind.Null
            ? []
            : json.GetProperty(member).EnumerateArray().Select(e => e.GetString());

    /// <summary>An outside review found `update --description` wiping scopes, redirect URIs, grant types and tenants.</summary>
    [Test]
    public async Task Applications_update_changes_only_the_options_given()
    {
        var (_, created, _) = await RunAsync("applications", "create", "--name", "cli-update", "--scopes", "metric:query admin",
            "--redirect-uris", "https://app.example.com/cb", "--grant-types", "authorization_code refresh_token client_credentials");
        var before = JsonDocument.Parse(created).RootElement;
        var id = before.GetProperty("clientId").GetString()!;
        var (tenantsCode, _, tenantsError) = await RunAsync("applications", "update", id, "--allowed-tenants", "acme");
        var (code, output, error) = await RunAsync("applications", "update", id, "--description", "only the description");
        var after = JsonDocument.Parse(output).RootElement;
        var (scopeCode, scoped, _) = await RunAsync("applications", "update", id, "--scopes", "metric:query");
        var (anyCode, any, anyError) = await RunAsync("applications", "update", id, "--any-tenant");
        Assert.Multiple(() =>
        {
            Assert.That((tenantsCode, tenantsError), Is.EqualTo((OpsCli.Ok, "")));
            Assert.That((code, error), Is.EqualTo((OpsCli.Ok, "")));
            Assert.That(after.GetProperty("description").GetString(), Is.EqualTo("only the description"));
            foreach (var member in new[] { "scopes", "redirectUris", "grantTypes" })
            {
                Assert.That(Strings(after, member), Is.EqualTo(Strings(before, member)), member + " kept");
            }

            Assert.That(Strings(after, "allowedTenants"), Is.EqualTo(new[] { "acme" }), "allowedTenants kept");
            Assert.That(scopeCode, Is.EqualTo(OpsCli.Ok));
            Assert.That(Strings(JsonDocument.Parse(scoped).RootElement, "scopes"), Is.EqualTo(new[] { "metric:query" }),
                "--scopes replaces");
            Assert.That((anyCode, anyError), Is.EqualTo((OpsCli.Ok, "")), "--any-tenant alone lifts the restriction");
            Assert.That(JsonDocument.Parse(any).RootElement.GetProperty("allowedTenants").ValueKind, Is.EqualTo(JsonValueKind.Null));
        });
    }

    [Test]
    public async Task Applications_create_and_update_set_allowed_tenants_and_policy_values()
    {
        var (code, created, error) = await RunAsync("applications", "create", "--name", "cli-policy-values",
            "--allowed-tenants", "acme,globex",
            "--allowed-policy-values", "{\"region\": [\"eu\", \"us\"]}");
        var app = JsonDocument.Parse(created).RootElement;
        var id = app.GetProperty("clientId").GetString()!;
        var (badCode, _, badError) = await RunAsync("applications", "update", id, "--allowed-policy-values", "{\"region\": \"eu\"}");
        var (typoCode, _, typoError) = await RunAsync("applications", "update", id, "--allowed-policy-values", "{region: [eu]}");
        var (bothCode, _, bothError) = await RunAsync("applications", "update", id, "--allowed-policy-values", "{}", "--any-policy-values");
        var (anyCode, any, _) = await RunAsync("applications", "update", id, "--any-policy-values");
        Assert.Multiple(() =>
        {
            Assert.That((code, error), Is.EqualTo((OpsCli.Ok, "")));
            Assert.That(Strings(app, "allowedTenants"), Is.EqualTo(new[] { "acme", "globex" }));
            Assert.That(Strings(app.GetProperty("allowedPolicyValues"), "region"), Is.EqualTo(new[] { "eu", "us" }));
            Assert.That(badCode, Is.EqualTo(OpsCli.Usage));
            Assert.That(badError.Trim(), Is.EqualTo(
                "error: allowedPolicyValues: allowedPolicyValues.region must be an array of strings ([\"*\"] for any value)"));
            Assert.That((typoCode, typoError.Trim()), Is.EqualTo((OpsCli.Usage,
                "error: --allowed-policy-values: expected a JSON object such as '{\"region\": [\"eu\"]}'")));
            Assert.That((bothCode, bothError.Trim()),
                Is.EqualTo((OpsCli.Usage, "error: use one of --allowed-policy-values and --any-policy-values, not both")));
            Assert.That(anyCode, Is.EqualTo(OpsCli.Ok));
            Assert.That(JsonDocument.Parse(any).RootElement.GetProperty("allowedPolicyValues").ValueKind, Is.EqualTo(JsonValueKind.Null));
        });
    }

    [Test]
    public async Task Applications_create_and_update_set_and_lift_the_audiences()
    {
        var (code, created, error) = await RunAsync("applications", "create", "--name", "cli-audiences", "--scopes", "metric:query",
            "--audiences", "resource-api");
        var app = JsonDocument.Parse(created).RootElement;
        var (anyCode, any, _) = await RunAsync("applications", "update", app.GetProperty("clientId").GetString()!, "--any-audience");
        Assert.Multiple(() =>
        {
            Assert.That((code, error), Is.EqualTo((OpsCli.Ok, "")));
            Assert.That(Strings(app, "audiences"), Is.EqualTo(new[] { "resource-api" }));
            Assert.That(anyCode, Is.EqualTo(OpsCli.Ok));
            Assert.That(JsonDocument.Parse(any).RootElement.GetProperty("audiences").ValueKind, Is.EqualTo(JsonValueKind.Null));
        });
    }

    [Test]
    public async Task Applications_update_of_a_public_client_keeps_it_public()
    {
        var (_, created, _) = await RunAsync("applications", "create", "--name", "cli-update-public", "--type", "public",
            "--scopes", "openid metric:query", "--redirect-uris", "http://127.0.0.1/callback");
        var id = JsonDocument.Parse(created).RootElement.GetProperty("clientId").GetString()!;
        var (code, output, error) = await RunAsync("applications", "update", id, "--name", "cli-update-public-renamed");
        Assert.Multiple(() =>
        {
            Assert.That((code, error), Is.EqualTo((OpsCli.Ok, "")));
            Assert.That(JsonDocument.Parse(output).RootElement.GetProperty("name").GetString(), Is.EqualTo("cli-update-public-renamed"));
        });
    }

    [Test]
    public async Task Applications_list_never_shows_a_secret_or_its_hash()
    {
        var (_, created, _) = await RunAsync("applications", "create", "--name", "cli-list", "--scopes", "admin");
        var secret = JsonDocument.Parse(created).RootElement.GetProperty("secret").GetString()!;
        var (code, output, _) = await RunAsync("applications", "list");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(OpsCli.Ok));
            Assert.That(output, Does.Contain("cli-list"));
            Assert.That(output, Does.Not.Contain(secret));
            Assert.That(output, Does.Not.Contain("argon2id"));
            Assert.That(output, Does.Not.Contain("secret"));
        });
    }

    [Test]
    public async Task Names_are_unique_regardless_of_case()
    {
        await RunAsync("applications", "create", "--name", "cli-Unique");
        var (code, output, error) = await RunAsync("applications", "create", "--name", "CLI-unique");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(OpsCli.Usage));
            Assert.That(output, Is.Empty);
            Assert.That(error.Trim(), Is.EqualTo("error: name: an application named 'CLI-unique' already exists"));
        });
    }

    [TestCase(new[] { "applications", "create", "--name", "x", "--scopes", "bogus" }, OpsCli.Usage, "unknown scope")]
    [TestCase(new[] { "applications", "create" }, OpsCli.Usage, "--name")]
    [TestCase(new[] { "applications", "create", "--name", " " }, OpsCli.Usage, "name is required")]
    [TestCase(new[] { "applications", "delete", "nosuchclient" }, OpsCli.NotFound, "no application")]
    [TestCase(new[] { "applications", "rotate-secret", "nosuchclient" }, OpsCli.NotFound, "no application")]
    [TestCase(new[] { "applications", "frobnicate" }, OpsCli.Usage, "error:")]
    [TestCase(new[] { "applications", "create", "--name", "x", "--audiences", "https://elsewhere.example" }, OpsCli.Usage,
        "audiences: 'https://elsewhere.example' is not an API of this server")]
    [TestCase(new[] { "applications", "create", "--name", "x", "--token-endpoint-auth-method", "private_key_jwt", "--jwks-uri",
        "http://keys.example.com/jwks.json" }, OpsCli.Usage, "jwksUri: jwksUri must use https")]
    [TestCase(new[] { "applications", "create", "--name", "x", "--jwks-uri", "https://keys.example.com/jwks.json" }, OpsCli.Usage,
        "jwksUri: jwksUri is only for tokenEndpointAuthMethod private_key_jwt")]
    [TestCase(new[] { "applications", "update", "nosuchclient", "--any-audience" }, OpsCli.NotFound, "no application")]
    [TestCase(new[] { "applications", "update", "nosuchclient", "--audiences", "resource-api", "--any-audience" }, OpsCli.Usage,
        "use one of --audiences and --any-audience, not both")]
    public async Task Failures_exit_non_zero_with_one_line_on_stderr(string[] args, int expectedCode, string expectedText)
    {
        var (code, _, error) = await RunAsync(args);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(expectedCode));
            Assert.That(error, Does.Contain(expectedText));
            Assert.That(error.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
        });
    }

    [Test]
    public async Task Delete_removes_the_application()
    {
        var (_, created, _) = await RunAsync("applications", "create", "--name", "cli-delete");
        var clientId = JsonDocument.Parse(created).RootElement.GetProperty("clientId").GetString()!;
        var (code, _, _) = await RunAsync("applications", "delete", clientId);
        var (_, list, _) = await RunAsync("applications", "list");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(OpsCli.Ok));
            Assert.That(list, Does.Not.Contain(clientId));
        });
    }

    [Test]
    public async Task Rotate_secret_prints_a_new_secret_and_bumps_the_version()
    {
        var (_, created, _) = await RunAsync("applications", "create", "--name", "cli-rotate");
        var first = JsonDocument.Parse(created).RootElement;
        var clientId = first.GetProperty("clientId").GetString()!;
        var (code, rotated, _) = await RunAsync("applications", "rotate-secret", clientId);
        await using var connection = new NpgsqlConnection(database);
        var version = await connection.ExecuteScalarAsync<int>("SELECT secret_version FROM applications WHERE client_id = @clientId", new { clientId });
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(OpsCli.Ok));
            Assert.That(JsonDocument.Parse(rotated).RootElement.GetProperty("secret").GetString(), Is.Not.EqualTo(first.GetProperty("secret").GetString()));
            Assert.That(version, Is.EqualTo(2));
        });
    }

    [Test]
    public async Task Migrate_status_lists_every_file_as_applied()
    {
        var (code, output, _) = await RunAsync("migrate", "--status");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(OpsCli.Ok));
            foreach (var file in TokenServiceSetup.TokenMigrations().Files)
            {
                Assert.That(output, Does.Contain(file.Name));
            }

            Assert.That(output, Does.Not.Contain("pending"));
        });
    }

    [Test]
    public async Task Migrate_status_on_an_empty_database_lists_pending_files_and_migrate_applies_them()
    {
        var empty = await PostgresServer.CreateDatabaseAsync("cliempty", migrate: false);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var settings = new Dictionary<string, string?> { ["DATABASE_URL"] = empty };
        await OpsCli.RunAsync(["migrate", "--status"], stdout, stderr, settings);
        var before = stdout.ToString();
        using var migrateOut = new StringWriter();
        var code = await OpsCli.RunAsync(["migrate"], migrateOut, stderr, settings);
        Assert.Multiple(() =>
        {
            Assert.That(before, Does.Contain("0001_applications.sql").And.Contain("pending"));
            Assert.That(code, Is.EqualTo(OpsCli.Ok));
            Assert.That(migrateOut.ToString(), Does.Contain("applied 0001_applications.sql"));
        });
    }

    [Test]
    public async Task Unreachable_database_is_exit_1_with_a_one_line_reason()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await OpsCli.RunAsync(["applications", "list"], stdout, stderr,
            new Dictionary<string, string?> { ["DATABASE_URL"] = "Host=127.0.0.1;Port=1;Username=x;Database=x;Timeout=2" });
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(OpsCli.Failed));
            Assert.That(stderr.ToString(), Does.StartWith("error: DATABASE_URL: cannot reach the database"));
            Assert.That(stderr.ToString().TrimEnd().Split('\n'), Has.Length.EqualTo(1));
        });
    }

    [Test]
    public async Task Keys_rotate_adds_a_pending_key_and_keys_list_shows_states()
    {
        await RunAsync("keys", "rotate", "--lead-seconds", "0");
        var (_, rotated, _) = await RunAsync("keys", "rotate", "--lead-seconds", "3600");
        var (code, list, _) = await RunAsync("keys", "list");
        var kid = JsonDocument.Parse(rotated).RootElement.GetProperty("kid").GetString();
        var states = JsonDocument.Parse(list).RootElement.EnumerateArray()
            .ToDictionary(k => k.GetProperty("kid").GetString()!, k => k.GetProperty("state").GetString());
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(OpsCli.Ok));
            Assert.That(states[kid!], Is.EqualTo("pending"));
            Assert.That(states.Values, Has.Exactly(1).EqualTo("active"));
        });
    }

    [Test]
    public async Task Keys_rotate_without_a_key_encryption_key_refuses_outside_development()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await OpsCli.RunAsync(["keys", "rotate"], stdout, stderr, new Dictionary<string, string?> { ["DATABASE_URL"] = database });
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(OpsCli.Usage));
            Assert.That(stderr.ToString(), Does.Contain("KEY_ENCRYPTION_KEY"));
        });
    }
}
