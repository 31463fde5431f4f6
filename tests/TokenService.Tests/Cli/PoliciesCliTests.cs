using System.Text.Json;
using Dapper;
using Npgsql;
using TestSupport;
using TokenService.Cli;

namespace TokenService.Tests.Cli;

/// <summary>
/// Issue 15 point 5: <c>TokenService policies ...</c> manages the ResourceApi's Access Policies through the same rules
/// as its GraphQL mutations; bad input is one line on stderr and exit 2. Effects checked in the database.
/// </summary>
public sealed class PoliciesCliTests
{
    private string database = null!;

    [OneTimeSetUp]
    public async Task CreateDatabaseAsync() => database = await PostgresServer.CreateDatabaseAsync("policiescli");

    private Task<(int Code, string Out, string Error)> RunAsync(params string[] args) => CliRun.RunAsync(database, args);

    private async Task<T> SqlAsync<T>(string sql, object? args = null)
    {
        await using var connection = new NpgsqlConnection(database);
        return await connection.ExecuteScalarAsync<T>(sql, args) ?? throw new InvalidOperationException("no value");
    }

    [Test]
    public async Task Policies_create_assign_list_and_delete()
    {
        var (created, createdOut, createdError) = await RunAsync("policies", "create", "cli-tenants", "--data-pool", "orders",
            "--columns", "tenant,price", "--row", "tenant EQUALS ${{ tenant }}", "--row", "price LESS_THAN 50");
        var (assigned, _, assignError) = await RunAsync("policies", "assign", "cli-tenants", "app-1", "app-2");
        var (listed, listOut, _) = await RunAsync("policies", "list", "--data-pool", "orders");
        var (enabled, _, _) = await RunAsync("policies", "access-control", "orders", "on");
        var rlsPolicies = await SqlAsync<long>(
            "SELECT count(*) FROM pg_policies WHERE tablename = 'orders' AND policyname LIKE 'catalog_policy_%'");
        var accessControl = await SqlAsync<bool>("SELECT access_control_enabled FROM resource.data_pools WHERE unique_name = 'orders'");
        var (deleted, _, _) = await RunAsync("policies", "delete", "cli-tenants");
        var (again, _, againError) = await RunAsync("policies", "delete", "cli-tenants");
        var left = await SqlAsync<long>("SELECT count(*) FROM resource.access_policies");
        var policy = JsonDocument.Parse(listOut).RootElement[0];
        Assert.Multiple(() =>
        {
            Assert.That((created, createdError), Is.EqualTo((0, "")));
            Assert.That(JsonDocument.Parse(createdOut).RootElement.GetProperty("uniqueName").GetString(), Is.EqualTo("cli-tenants"));
            Assert.That((assigned, assignError), Is.EqualTo((0, "")));
            Assert.That(listed, Is.Zero);
            Assert.That(policy.GetProperty("applications").EnumerateArray().Select(a => a.GetString()),
                Is.EqualTo(new[] { "app-1", "app-2" }));
            Assert.That(policy.GetProperty("rows")[0].GetProperty("value").GetString(), Is.EqualTo("${{ tenant }}"));
            Assert.That(enabled, Is.Zero);
            Assert.That(accessControl, Is.True);
            Assert.That(rlsPolicies, Is.EqualTo(1), "row-level security follows the catalog");
            Assert.That(deleted, Is.Zero);
            Assert.That(left, Is.Zero);
            Assert.That(again, Is.EqualTo(OpsCli.NotFound));
            Assert.That(againError, Is.EqualTo("error: no Access Policy named 'cli-tenants'" + Environment.NewLine));
        });
    }

    [Test]
    public async Task Each_change_is_in_the_audit_trail_with_the_os_user_and_commits_only_with_its_audit_row()
    {
        await RunAsync("policies", "create", "cli-audited", "--data-pool", "orders", "--columns", "*");
        await RunAsync("policies", "assign", "cli-audited", "app-9");
        await RunAsync("policies", "access-control", "orders", "off");
        await RunAsync("policies", "delete", "cli-audited");
        await using var connection = new NpgsqlConnection(database);
        var trail = (await connection.QueryAsync<(string Action, string Kind, string Actor)>(
            "SELECT action, actor_kind, actor FROM audit_events WHERE target IN ('cli-audited', 'orders') AND actor_kind = 'cli' " +
            "AND action IN ('policy.create', 'policy.assign', 'policy.delete', 'data_pool.access_control') ORDER BY id")).ToList();
        Assert.That(trail.Select(t => t.Action), Is.SupersetOf(new[]
            { "policy.create", "policy.assign", "data_pool.access_control", "policy.delete" }));
        Assert.That(trail.Select(t => t.Actor).Distinct(), Is.EqualTo(new[] { Environment.UserName }));

        // The audit row is written in the change's transaction: when it cannot be written, the change does not happen.
        await connection.ExecuteAsync("""
            CREATE FUNCTION refuse_policy_audit() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN IF NEW.action = 'policy.create' THEN RAISE EXCEPTION 'audit store unavailable'; END IF; RETURN NEW; END $$;
            CREATE TRIGGER refuse_policy_audit BEFORE INSERT ON audit_events FOR EACH ROW EXECUTE FUNCTION refuse_policy_audit();
            """);
        try
        {
            var (code, output, error) = await RunAsync("policies", "create", "cli-unaudited", "--data-pool", "orders", "--columns", "*");
            var stored = await SqlAsync<long>("SELECT count(*) FROM resource.access_policies WHERE unique_name = 'cli-unaudited'");
            Assert.Multiple(() =>
            {
                Assert.That(code, Is.Not.Zero);
                Assert.That(output, Is.Empty);
                Assert.That(error.TrimEnd().Split('\n'), Has.Length.EqualTo(1), error);
                Assert.That(stored, Is.Zero, "a policy without its audit row");
            });
        }
        finally
        {
            await connection.ExecuteAsync("DROP TRIGGER refuse_policy_audit ON audit_events; DROP FUNCTION refuse_policy_audit()");
        }
    }

    [TestCase(new[] { "policies", "create", "p1", "--data-pool", "orders", "--columns", "nope" }, "error: columns: unknown column 'nope'")]
    [TestCase(new[] { "policies", "create", "p2", "--data-pool", "nowhere", "--columns", "*" },
        "error: dataPool: no Data Pool named 'nowhere'")]
    [TestCase(new[] { "policies", "create", "p3", "--data-pool", "orders", "--columns", "*", "--row", "tenant LIKE x" },
        "error: rows[0].operator: unknown operator 'LIKE'")]
    [TestCase(new[] { "policies", "create", "p4", "--data-pool", "orders", "--columns", "*", "--row", "tenant" },
        "error: --row 1: write 'COLUMN OPERATOR VALUE'")]
    [TestCase(new[] { "policies", "create", "p5", "--data-pool", "orders", "--columns", "*", "--row", "tenant EQUALS ${{ 1x }}" },
        "error: rows[0].value: '${{ 1x }}' is not a valid placeholder")]
    [TestCase(new[] { "policies", "assign", "no-such-policy", "app" },
        "error: dataPoolAccessPolicy: no Access Policy named 'no-such-policy'")]
    [TestCase(new[] { "policies", "access-control", "orders", "maybe" }, "error: access-control: say on or off")]
    public async Task Bad_input_is_one_line_and_exit_2(string[] args, string message)
    {
        var (code, output, error) = await RunAsync(args);
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(OpsCli.Usage));
            Assert.That(output, Is.Empty);
            Assert.That(error, Does.StartWith(message));
            Assert.That(error.TrimEnd().Split('\n'), Has.Length.EqualTo(1));
        });
    }
}
