using System.Net;
using Shared.Protocol;
using static ResourceApi.Tests.AccessPolicies.PolicyWorld;

namespace ResourceApi.Tests.AccessPolicies;

/// <summary>Issue 15 point 5: the admin mutations and queries, and bad input answered 400 naming the field.</summary>
public sealed class AccessPolicyManagementTests
{
    private const string Create = "mutation($input: CreateDataPoolAccessPolicyInput!) { createDataPoolAccessPolicy(input: $input) { id } }";

    [Test]
    public async Task Admin_creates_lists_assigns_and_deletes_a_policy()
    {
        var (pool, _, _) = await NewPoolAsync();
        var policy = await NewPolicyAsync(pool, ["tenant", "price"], ("tenant", "EQUALS", "${{ tenant }}"));
        await AssignAsync(policy, "client-a", "client-b");
        var listed = await AdminAsync($"{{ dataPoolAccessPolicies(dataPool: \"{pool}\") {{ edges {{ node {{ uniqueName " +
                                      "columns applications " +
                                      "rows { column operator value } } } } }");
        var one = await AdminAsync($"{{ dataPoolAccessPolicy(id: \"{policy}\") {{ id }} }}");
        var id = one.GetProperty("dataPoolAccessPolicy").GetProperty("id").GetString();
        var deleted = await AdminAsync($"mutation {{ deleteDataPoolAccessPolicy(id: \"{id}\") }}");
        var after = await AdminAsync($"{{ dataPoolAccessPolicies(dataPool: \"{pool}\") {{ edges {{ cursor }} }} }}");
        var node = listed.GetProperty("dataPoolAccessPolicies").GetProperty("edges")[0].GetProperty("node");
        Assert.Multiple(() =>
        {
            Assert.That(node.GetProperty("uniqueName").GetString(), Is.EqualTo(policy));
            Assert.That(node.GetProperty("columns").EnumerateArray().Select(c => c.GetString()), Is.EqualTo(new[] { "tenant", "price" }));
            Assert.That(node.GetProperty("applications").EnumerateArray().Select(c => c.GetString()), Is.EqualTo(new[] { "client-a",
                "client-b" }));
            Assert.That(node.GetProperty("rows")[0].GetProperty("value").GetString(), Is.EqualTo("${{ tenant }}"));
            Assert.That(deleted.GetProperty("deleteDataPoolAccessPolicy").GetString(), Is.EqualTo(id));
            Assert.That(after.GetProperty("dataPoolAccessPolicies").GetProperty("edges").GetArrayLength(), Is.Zero);
        });
    }

    [Test]
    public async Task Every_change_through_GraphQL_is_in_the_audit_trail_with_the_calling_application()
    {
        var (pool, _, _) = await NewPoolAsync();
        var policy = await NewPolicyAsync(pool, ["tenant"], ("tenant", "EQUALS", "${{ tenant }}"));
        await AssignAsync(policy, "client-a");
        await UnassignAsync(policy, "client-a");
        await AdminAsync($"mutation {{ deleteDataPoolAccessPolicy(id: \"{policy}\") }}");
        var caller = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(await AdminTokenAsync()).GetClaim("client_id").Value;
        await using var connection = new Npgsql.NpgsqlConnection(Fixture.ConnectionString);
        var trail = (await Dapper.SqlMapper.QueryAsync<(string Action, string Target, string Kind, string Actor)>(connection,
            "SELECT action, target, actor_kind, actor FROM audit_events WHERE target IN (@policy, @pool) ORDER BY id",
            new { policy, pool })).ToList();
        Assert.That(trail, Is.EqualTo(new[]
        {
            ("data_pool.access_control", pool, "client", caller), ("policy.create", policy, "client", caller),
            ("policy.assign", policy, "client", caller), ("policy.unassign", policy, "client", caller),
            ("policy.delete", policy, "client", caller),
        }));
    }

    [TestCase(new[] { "nope" }, "tenant", "EQUALS", "x", "columns: unknown column 'nope'")]
    [TestCase(new string[0], "tenant", "EQUALS", "x", "columns: name at least one column")]
    [TestCase(new[] { "*", "tenant" }, "tenant", "EQUALS", "x", "columns: \"*\" allows every column")]
    [TestCase(new[] { "*" }, "nope", "EQUALS", "x", "rows[0].column: unknown column 'nope'")]
    [TestCase(new[] { "*" }, "quantity", "EQUALS", "many", "rows[0].value: 'many' is not a valid integer")]
    [TestCase(new[] { "*" }, "tenant", "EQUALS", "${{ 9bad }}", "rows[0].value: '${{ 9bad }}' is not a valid placeholder")]
    [TestCase(new[] { "*" }, "tenant", "EQUALS", "${{ a-b }}", "rows[0].value: '${{ a-b }}' is not a valid placeholder")]
    public async Task Bad_policy_input_gets_400_naming_the_field(string[] columns, string column, string op, string value, string message)
    {
        var (pool, _, _) = await NewPoolAsync();
        var call = await Fixture.QueryAsync(Create, await AdminTokenAsync(), new
        {
            input = new { uniqueName = Unique("bad"), dataPool = pool, columns, rows = new[] { new { column, @operator = op, value } } },
        });
        Assert.Multiple(() =>
        {
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.BadRequest), call.ToString());
            Assert.That(call.FirstErrorMessage, Does.StartWith(message));
        });
    }

    [Test]
    public async Task Unknown_operator_and_unknown_pool_are_400()
    {
        var (pool, _, _) = await NewPoolAsync();
        var token = await AdminTokenAsync();
        var op = await Fixture.QueryAsync(Create, token,
            new
            {
                input = new
                {
                    uniqueName = Unique("bad"), dataPool = pool, columns = new[] { "*" },
                    rows = new[] { new { column = "tenant", @operator = "LIKE", value = "a" } }
                }
            });
        var noPool = await Fixture.QueryAsync(Create, token,
            new { input = new { uniqueName = Unique("bad"), dataPool = "no_such_pool", columns = new[] { "*" } } });
        Assert.Multiple(() =>
        {
            Assert.That(op.Status, Is.EqualTo(HttpStatusCode.BadRequest), op.ToString());
            Assert.That(op.ToString(), Does.Contain("operator").And.Not.Contain("Exception"));
            Assert.That(noPool.Status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(noPool.FirstErrorMessage, Is.EqualTo("dataPool: no Data Pool named 'no_such_pool'"));
        });
    }

    [Test]
    public async Task Second_policy_for_the_same_application_and_pool_gets_400_naming_applications()
    {
        var (pool, _, _) = await NewPoolAsync();
        var first = await NewPolicyAsync(pool, ["*"]);
        var second = await NewPolicyAsync(pool, ["*"]);
        await AssignAsync(first, "one-client");
        var call = await Fixture.QueryAsync(
            "mutation($input: AssignDataPoolAccessPolicyInput!) { assignDataPoolAccessPolicy(input: $input) { id } }",
            await AdminTokenAsync(), new { input = new { dataPoolAccessPolicy = second, applications = new[] { "one-client" } } });
        Assert.Multiple(() =>
        {
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.BadRequest), call.ToString());
            Assert.That(call.FirstErrorMessage, Does.StartWith("applications: application 'one-client' already has another Access Policy"));
        });
    }

    [Test]
    public async Task Duplicate_policy_name_gets_400_naming_unique_name()
    {
        var (pool, _, _) = await NewPoolAsync();
        var name = await NewPolicyAsync(pool, ["*"]);
        var call = await Fixture.QueryAsync(Create, await AdminTokenAsync(), new
        {
            input = new
            {
                uniqueName = name, dataPool = pool,
                columns = new[] { "*" }
            }
        });
        Assert.Multiple(() =>
        {
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(call.FirstErrorMessage, Is.EqualTo($"uniqueName: an Access Policy named '{name}' already exists"));
        });
    }

    [Test]
    public async Task Policy_mutations_need_admin()
    {
        var call = await Fixture.QueryAsync(Create, await Fixture.TokenAsync(Scopes.DataPoolQuery),
            new { input = new { uniqueName = "x", dataPool = "orders", columns = new[] { "*" } } });
        Assert.That(call.Status, Is.EqualTo(HttpStatusCode.Forbidden));
    }
}
