using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TestSupport;
using TokenService.Changes;
using TokenService.Cli;

namespace EndToEnd.Tests;

/// <summary>
/// Issue 16 point 4: every change through the management API and the CLI lands in audit_events with who, what,
/// when and where; the table is append-only; GET /audit and `audit list` read it; nothing secret is ever in it.
/// </summary>
public sealed class AuditTrailTests
{
    private const string Password = "a password nobody may log";
    private TokenServiceHost host = null!;
    private HttpClient anonymous = null!;
    private HttpClient admin = null!;
    private string adminClientId = null!;
    private string adminSecret = null!;
    private string adminToken = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("audit"));
        anonymous = await host.CreateReadyClientAsync();
        (adminClientId, adminSecret) = await host.CreateApplicationAsync(null, "application:admin");
        adminToken = await TokenServiceHost.GetTokenAsync(anonymous, adminClientId, adminSecret);
        admin = host.CreateClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
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

    [Test]
    public async Task Management_api_changes_are_recorded_with_the_calling_client_and_its_address()
    {
        var clientId = await CreateThroughApiAsync("audited-" + Guid.NewGuid().ToString("N")[..8]);
        using (var patch = await admin.PatchAsJsonAsync($"/applications/{clientId}", new { description = "changed" }))
        {
            Assert.That(patch.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        using (var rotate = await admin.PostAsJsonAsync($"/applications/{clientId}/rotate-secret", new { gracePeriodSeconds = 60 }))
        {
            Assert.That(rotate.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        using (var delete = await admin.DeleteAsync($"/applications/{clientId}"))
        {
            Assert.That(delete.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }

        var events = await AuditAsync($"?target={clientId}");
        Assert.Multiple(() =>
        {
            Assert.That(events.Select(e => e.GetProperty("action").GetString()),
                Is.EqualTo(new[] { "application.delete", "application.rotate_secret", "application.update", "application.create" }));
            Assert.That(events.Select(e => e.GetProperty("actorKind").GetString()).Distinct(), Is.EqualTo(new[] { "client" }));
            Assert.That(events.Select(e => e.GetProperty("actor").GetString()).Distinct(), Is.EqualTo(new[] { adminClientId }));
            Assert.That(events[1].GetProperty("details").GetProperty("gracePeriodSeconds").GetInt32(), Is.EqualTo(60));
            Assert.That(events.All(e => e.GetProperty("occurredAt").GetDateTime() > DateTime.UtcNow.AddMinutes(-5)), Is.True);
        });
    }

    [Test]
    public async Task Cli_changes_are_recorded_as_cli_with_the_os_user_and_audit_list_filters_by_target()
    {
        var username = "audit-cli-" + Guid.NewGuid().ToString("N")[..6];
        Assert.That((await CliAsync(Password + "\n", "users", "create", "--username", username, "--password-stdin")).Code, Is.EqualTo(0));
        // Sign-out everywhere revokes every grant of the user: a change like any other (an outside review found it unrecorded).
        Assert.That((await CliAsync(null, "users", "sign-out", username)).Code, Is.EqualTo(0));
        Assert.That((await CliAsync(null, "users", "delete", username)).Code, Is.EqualTo(0));
        Assert.That((await CliAsync(null, "keys", "rotate", "--lead-seconds", "0")).Code, Is.EqualTo(0));

        var (code, output, _) = await CliAsync(null, "audit", "list", "--target", username);
        Assert.That(code, Is.EqualTo(0));
        var events = JsonDocument.Parse(output).RootElement.EnumerateArray().ToList();
        Assert.Multiple(() =>
        {
            Assert.That(events.Select(e => e.GetProperty("action").GetString()),
                Is.EqualTo(new[] { "user.delete", "user.sign_out", "user.create" }));
            Assert.That(events.Select(e => e.GetProperty("actorKind").GetString()).Distinct(), Is.EqualTo(new[] { "cli" }));
            Assert.That(events[0].GetProperty("actor").GetString(), Is.EqualTo(Environment.UserName));
        });

        var (_, keys, _) = await CliAsync(null, "audit", "list", "--action", "key.");
        Assert.That(JsonDocument.Parse(keys).RootElement.GetArrayLength(), Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public async Task A_change_whose_audit_row_cannot_be_written_does_not_happen()
    {
        var name = "unaudited-" + Guid.NewGuid().ToString("N")[..8];
        var existing = await CreateThroughApiAsync("kept-" + Guid.NewGuid().ToString("N")[..8]);
        var username = "unaudited-" + Guid.NewGuid().ToString("N")[..6];
        await using var db = new NpgsqlConnection(host.ConnectionString);
        await db.OpenAsync();
        var keysBefore = await CountAsync(db, "SELECT count(*) FROM signing_keys");
        // The audit store refuses rows (a full disk, a revoked grant, a bug): the change must fail with it, not commit unrecorded.
        await ExecuteAsync(db, """
            CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'audit store unavailable'; END $$;
            CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_audit();
            """);
        try
        {
            using var create = await admin.PostAsJsonAsync("/applications", new { name, scopes = new[] { "data_pool:query" } });
            using var patch = await admin.PatchAsJsonAsync($"/applications/{existing}", new { description = "unrecorded" });
            using var rotate = await admin.PostAsJsonAsync($"/applications/{existing}/rotate-secret", new { gracePeriodSeconds = 0 });
            using var delete = await admin.DeleteAsync($"/applications/{existing}");
            var user = await CliAsync(Password + "\n", "users", "create", "--username", username, "--password-stdin");
            var key = await CliAsync(null, "keys", "rotate", "--lead-seconds", "0");
            var refusals = new[] { create, patch, rotate, delete };
            var bodies = string.Concat(await Task.WhenAll(refusals.Select(r => r.Content.ReadAsStringAsync())));
            Assert.Multiple(async () =>
            {
                foreach (var refused in refusals)
                {
                    Assert.That((int)refused.StatusCode, Is.GreaterThanOrEqualTo(500), refused.RequestMessage!.RequestUri!.ToString());
                }

                Assert.That(bodies, Does.Not.Contain("   at ").And.Not.Contain("Npgsql"), "no stack trace, no driver name");
                Assert.That(await CountAsync(db, $"SELECT count(*) FROM applications WHERE name = '{name}'"), Is.Zero);
                Assert.That(await CountAsync(db,
                    $"SELECT count(*) FROM applications WHERE client_id = '{existing}' AND description = '' AND secret_version = 1"),
                    Is.EqualTo(1), "not updated, not rotated, not deleted");
                Assert.That(user.Code, Is.Not.Zero);
                Assert.That(user.Error.TrimEnd().Split('\n'), Has.Length.EqualTo(1), user.Error);
                Assert.That(await CountAsync(db, $"SELECT count(*) FROM users WHERE username = '{username}'"), Is.Zero);
                Assert.That(key.Code, Is.Not.Zero);
                Assert.That(await CountAsync(db, "SELECT count(*) FROM signing_keys"), Is.EqualTo(keysBefore));
            });
        }
        finally
        {
            await ExecuteAsync(db, "DROP TRIGGER refuse_audit ON audit_events; DROP FUNCTION refuse_audit()");
        }
    }

    [Test]
    public async Task Audit_list_refuses_a_bad_since_naming_the_option_and_get_audit_names_the_parameter()
    {
        var (code, _, error) = await CliAsync(null, "audit", "list", "--since", "yesterday-ish");
        using var response = await admin.GetAsync("/audit?since=yesterday-ish");
        var body = await response.Content.ReadAsStringAsync();
        // An outside review: a NUL in a filter reached PostgreSQL and answered 500.
        using var nulAction = await admin.GetAsync("/audit?action=%00");
        using var nulTarget = await admin.GetAsync("/audit?target=a%00b");
        var nulBody = await nulTarget.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(nulAction.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(nulTarget.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(nulBody, Does.Contain("\"target\""));
            Assert.That(code, Is.EqualTo(OpsCli.Usage));
            Assert.That(error, Does.StartWith("error: --since:"));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(body, Does.Contain("\"since\""));
        });
    }

    /// <summary>
    /// A token without application:admin names only the ResourceApi's audience (RFC 8707, issue 11), so /audit refuses
    /// it as not its own: 401 invalid_token, like the rest of the management API.
    /// </summary>
    [Test]
    public async Task Get_audit_needs_a_token_with_application_admin()
    {
        var (plainId, plainSecret) = await host.CreateApplicationAsync(null, "data_pool:query");
        using var plain = host.CreateClient();
        plain.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            await TokenServiceHost.GetTokenAsync(anonymous, plainId, plainSecret));
        using var none = await anonymous.GetAsync("/audit");
        using var wrongScope = await plain.GetAsync("/audit");
        Assert.Multiple(() =>
        {
            Assert.That(none.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(wrongScope.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(wrongScope.Headers.WwwAuthenticate.ToString(), Does.Contain("error=\"invalid_token\""));
        });
    }

    [Test]
    public async Task The_table_is_append_only_and_the_retention_prune_deletes_only_expired_events()
    {
        await using var db = new NpgsqlConnection(host.ConnectionString);
        await db.OpenAsync();
        await ExecuteAsync(db, "INSERT INTO audit_events (occurred_at, actor_kind, actor, action, target_kind, target) " +
                               "VALUES (now() - interval '30 days', 'system', 'test', 'application.create', 'application', 'ancient')");
        Assert.Multiple(() =>
        {
            Assert.That(async () => await ExecuteAsync(db, "UPDATE audit_events SET actor = 'forged'"),
                Throws.InstanceOf<PostgresException>().With.Message.Contains("append-only"));
            Assert.That(async () => await ExecuteAsync(db, "DELETE FROM audit_events"),
                Throws.InstanceOf<PostgresException>().With.Message.Contains("append-only"));
        });

        var (code, output, _) = await CliAsync(null, new Dictionary<string, string?> { ["Audit:RetentionDays"] = "7" }, "audit", "prune");
        Assert.That(code, Is.EqualTo(0));
        Assert.That(JsonDocument.Parse(output).RootElement.GetProperty("deleted").GetInt32(), Is.EqualTo(1));
        await using var count = new NpgsqlCommand("SELECT count(*) FILTER (WHERE target = 'ancient'), count(*) FROM audit_events", db);
        await using var reader = await count.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.That((reader.GetInt64(0), reader.GetInt64(1) > 0), Is.EqualTo((0L, true)), "only the expired event went");
    }

    /// <summary>The point of the trail: it can be read by many, so no secret, password, hash or token may ever be in it.</summary>
    [Test]
    public async Task No_secret_password_hash_or_token_ever_reaches_the_audit_table()
    {
        var secrets = new List<string> { adminSecret, adminToken, Password };
        using (var created = await admin.PostAsJsonAsync("/applications",
            new { name = "secretive-" + Guid.NewGuid().ToString("N")[..8], scopes = new[] { "data_pool:query" } }))
        {
            var body = await created.Content.ReadFromJsonAsync<JsonElement>();
            var clientId = body.GetProperty("clientId").GetString()!;
            var secret = body.GetProperty("secret").GetString()!;
            secrets.Add(secret);
            secrets.Add(await TokenServiceHost.GetTokenAsync(anonymous, clientId, secret));
            using var rotated = await admin.PostAsJsonAsync($"/applications/{clientId}/rotate-secret", new { gracePeriodSeconds = 0 });
            secrets.Add((await rotated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!);
        }

        var username = "secret-keeper-" + Guid.NewGuid().ToString("N")[..6];
        await CliAsync(Password + "\n", "users", "create", "--username", username, "--password-stdin");
        await CliAsync("the second password\n", "users", "set-password", username, "--password-stdin");
        secrets.Add("the second password");

        await using var db = new NpgsqlConnection(host.ConnectionString);
        await db.OpenAsync();
        await using var dump = new NpgsqlCommand("SELECT coalesce(string_agg(row_to_json(a)::text, E'\\n'), '') FROM audit_events a", db);
        var table = (string)(await dump.ExecuteScalarAsync())!;
        Assert.Multiple(() =>
        {
            Assert.That(table, Does.Contain("application.rotate_secret").And.Contain("user.set_password"), "the changes were recorded");
            foreach (var secret in secrets)
            {
                Assert.That(table, Does.Not.Contain(secret));
            }

            Assert.That(table, Does.Not.Contain("$argon2"), "no hash either");
            Assert.That(table, Does.Not.Contain("eyJ"), "no JWT in any form");
        });
    }

    private async Task<string> CreateThroughApiAsync(string name)
    {
        using var response = await admin.PostAsJsonAsync("/applications", new { name, scopes = new[] { "data_pool:query" } });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created));
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("clientId").GetString()!;
    }

    private async Task<List<JsonElement>> AuditAsync(string query)
    {
        using var response = await admin.GetAsync("/audit" + query);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().ToList();
    }

    private Task<(int Code, string Out, string Error)> CliAsync(string? stdin, params string[] args) => CliAsync(stdin, null, args);

    private async Task<(int Code, string Out, string Error)> CliAsync(string? stdin, IDictionary<string, string?>? extra,
        params string[] args)
    {
        var settings = new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = host.ConnectionString,
            ["KEY_ENCRYPTION_KEY"] = host.KeyEncryptionKey
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await OpsCli.RunAsync(args, stdout, stderr, settings, new StringReader(stdin ?? ""));
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static async Task<long> CountAsync(NpgsqlConnection db, string sql)
    {
        await using var command = new NpgsqlCommand(sql, db);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task ExecuteAsync(NpgsqlConnection db, string sql)
    {
        await using var command = new NpgsqlCommand(sql, db);
        await command.ExecuteNonQueryAsync();
    }
}
