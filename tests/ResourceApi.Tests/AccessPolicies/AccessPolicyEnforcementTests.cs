using System.Net;
using ResourceApi.Tests.Infrastructure;
using static ResourceApi.Tests.AccessPolicies.PolicyWorld;

namespace ResourceApi.Tests.AccessPolicies;

/// <summary>
/// Issue 15 points 1 to 3: with access control on, an application reads a Data Pool only through its Access Policy,
/// in every kind of result, with the token's policy_values filling the rules; expected figures come from SQL.
/// </summary>
public sealed class AccessPolicyEnforcementTests
{
    [Test]
    public async Task Application_without_a_policy_gets_403_naming_the_application_and_the_data_pool()
    {
        var (pool, count, _) = await NewPoolAsync();
        var application = await NewApplicationAsync();
        var token = await TokenAsync(application);
        var grid = await Fixture.QueryAsync($"{{ dataGrid(dataPool: \"{pool}\", first: 5) {{ headers }} }}", token);
        var counter = await Fixture.QueryAsync($"{{ counter(metric: \"{count}\") {{ value }} }}", token);
        var expected = $"Application '{application.ClientId}' is not allowed to query Data Pool '{pool}', " +
            "because it has no Access Policy for it";
        Assert.Multiple(() =>
        {
            Assert.That(grid.Status, Is.EqualTo(HttpStatusCode.Forbidden), grid.ToString());
            Assert.That(grid.FirstErrorMessage, Is.EqualTo(expected));
            Assert.That(grid.Errors[0].GetProperty("extensions").GetProperty("code").GetString(), Is.EqualTo("INSUFFICIENT_POLICY"));
            Assert.That(counter.Status, Is.EqualTo(HttpStatusCode.Forbidden), counter.ToString());
            Assert.That(counter.FirstErrorMessage, Is.EqualTo(expected));
        });
    }

    [Test]
    public async Task Pool_without_access_control_answers_as_before()
    {
        var (pool, count, _) = await NewPoolAsync(accessControl: false);
        var call = await Fixture.QueryAsync($"{{ counter(metric: \"{count}\") {{ value }} }}",
            await TokenAsync(await NewApplicationAsync()));
        Assert.That(call.Data.GetProperty("counter").GetProperty("value").GetString(), Is.EqualTo("100000"), pool);
    }

    [TestCase("acme")]
    [TestCase("initech")]
    public async Task Dynamic_rule_limits_every_result_to_the_tokens_policy_values(string tenant)
    {
        var (pool, count, revenue) = await NewPoolAsync();
        var policy = await NewPolicyAsync(pool, ["*"], ("tenant", "EQUALS", "${{ customer }}"), ("quantity", "GREATER_THAN_OR_EQUAL_TO",
            "4"));
        var application = await NewApplicationAsync();
        await AssignAsync(policy, application.ClientId);
        var token = await TokenAsync(application, policyValues: new { customer = tenant });
        const string where = "tenant = @tenant AND quantity >= 4";

        var counter = await Fixture.QueryAsync($"{{ counter(metric: \"{count}\") {{ value }} }}", token);
        var sum = await Fixture.QueryAsync($"{{ counter(metric: \"{revenue}\") {{ value }} }}", token);
        var series = await Fixture.QueryAsync($"{{ timeSeries(metric: \"{count}\", granularity: MONTH) {{ values }} }}", token);
        var board = await Fixture.QueryAsync(
            $"{{ leaderboard(metric: \"{count}\", dimensions: [\"tenant\"], rowLimit: 10) {{ rows }} }}", token);
        var stats = await Fixture.QueryAsync(
            $"{{ dataPoolDimensionStats(dataPool: \"{pool}\", dimension: \"quantity\") {{ rowCount min }} }}", token);
        var grid = await Fixture.QueryAsync(
            $"{{ dataGrid(dataPool: \"{pool}\", first: 50) {{ headers edges {{ node {{ values }} }} }} }}", token);

        var expectedCount = await SqlAsync<long>($"SELECT count(*) FROM resource.orders WHERE {where}", new { tenant });
        var expectedSum = await SqlAsync<decimal>($"SELECT sum(price) FROM resource.orders WHERE {where}", new { tenant });
        var months = await SqlAsync<long>(
            $"SELECT count(DISTINCT date_trunc('month', \"timestamp\" AT TIME ZONE 'UTC')) FROM resource.orders WHERE {where}",
            new { tenant });
        var headers = grid.Data.GetProperty("dataGrid").GetProperty("headers").EnumerateArray().Select(h => h.GetString()).ToList();
        var rows = grid.Data.GetProperty("dataGrid").GetProperty("edges").EnumerateArray().Select(e =>
            e.GetProperty("node").GetProperty("values")).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(counter.Data.GetProperty("counter").GetProperty("value").GetString(), Is.EqualTo(Invariant(expectedCount)));
            Assert.That(decimal.Parse(sum.Data.GetProperty("counter").GetProperty("value").GetString()!,
                System.Globalization.CultureInfo.InvariantCulture),
                Is.EqualTo(expectedSum));
            Assert.That(series.Data.GetProperty("timeSeries").GetProperty("values").GetArrayLength(), Is.EqualTo(months));
            Assert.That(series.Data.GetProperty("timeSeries").GetProperty("values").EnumerateArray().Sum(v => long.Parse(v.GetString()!,
                System.Globalization.CultureInfo.InvariantCulture)), Is.EqualTo(expectedCount));
            Assert.That(board.Data.GetProperty("leaderboard").GetProperty("rows").EnumerateArray().Select(r => r[0].GetString()),
                Is.EqualTo(new[] { tenant }));
            Assert.That(stats.Data.GetProperty("dataPoolDimensionStats").GetProperty("rowCount").GetInt64(), Is.EqualTo(expectedCount));
            Assert.That(stats.Data.GetProperty("dataPoolDimensionStats").GetProperty("min").GetString(), Is.EqualTo("4"));
            Assert.That(rows, Has.Count.EqualTo(50));
            Assert.That(rows.Select(r => r[headers.IndexOf("tenant")].GetString()), Has.All.EqualTo(tenant));
            Assert.That(rows.Select(r => int.Parse(r[headers.IndexOf("quantity")].GetString()!,
                System.Globalization.CultureInfo.InvariantCulture)),
                Has.All.GreaterThanOrEqualTo(4));
        });
    }

    [Test]
    public async Task Placeholder_without_a_value_matches_no_row()
    {
        var (pool, count, _) = await NewPoolAsync();
        var policy = await NewPolicyAsync(pool, ["*"], ("product", "NOT_EQUALS", "${{ product }}"));
        var application = await NewApplicationAsync();
        await AssignAsync(policy, application.ClientId);
        var counter = await Fixture.QueryAsync($"{{ counter(metric: \"{count}\") {{ value }} }}", await TokenAsync(application));
        var grid = await Fixture.QueryAsync($"{{ dataGrid(dataPool: \"{pool}\", first: 5) {{ edges {{ cursor }} }} }}",
            await TokenAsync(application));
        Assert.Multiple(() =>
        {
            Assert.That(counter.Data.GetProperty("counter").GetProperty("value").GetString(), Is.EqualTo("0"));
            Assert.That(grid.Data.GetProperty("dataGrid").GetProperty("edges").GetArrayLength(), Is.Zero);
        });
    }

    [Test]
    public async Task Tenant_claim_fills_the_tenant_placeholder()
    {
        var (pool, count, _) = await NewPoolAsync();
        var policy = await NewPolicyAsync(pool, ["*"], ("tenant", "EQUALS", "${{ tenant }}"));
        var application = await NewApplicationAsync();
        await AssignAsync(policy, application.ClientId);
        var call = await Fixture.QueryAsync($"{{ counter(metric: \"{count}\") {{ value }} }}", await TokenAsync(application,
            tenant: "globex"));
        var expected = await SqlAsync<long>("SELECT count(*) FROM resource.orders WHERE tenant = 'globex'");
        Assert.That(call.Data.GetProperty("counter").GetProperty("value").GetString(), Is.EqualTo(Invariant(expected)));
    }

    [Test]
    public async Task Columns_outside_the_allow_list_are_absent_from_the_grid_and_refused_with_403_naming_the_column()
    {
        var (pool, count, revenue) = await NewPoolAsync();
        var policy = await NewPolicyAsync(pool, ["id", "timestamp", "tenant", "quantity"]);
        var application = await NewApplicationAsync();
        await AssignAsync(policy, application.ClientId);
        var token = await TokenAsync(application);
        var grid = await Fixture.QueryAsync(
            $"{{ dataGrid(dataPool: \"{pool}\", first: 3) {{ headers edges {{ node {{ values }} }} }} }}", token);
        var stats = await Fixture.QueryAsync($"{{ dataPoolDimensionStats(dataPool: \"{pool}\", dimension: \"price\") {{ rowCount }} }}",
            token);
        var board = await Fixture.QueryAsync($"{{ leaderboard(metric: \"{count}\", dimensions: [\"product\"]) {{ rows }} }}", token);
        var sum = await Fixture.QueryAsync($"{{ counter(metric: \"{revenue}\") {{ value }} }}", token);
        var allowed = await Fixture.QueryAsync(
            $"{{ leaderboard(metric: \"{count}\", dimensions: [\"quantity\"], rowLimit: 20) {{ rows }} }}", token);
        Assert.Multiple(() =>
        {
            Assert.That(grid.Data.GetProperty("dataGrid").GetProperty("headers").EnumerateArray().Select(h => h.GetString()),
                Is.EqualTo(new[] { "id", "timestamp", "tenant", "quantity" }));
            Assert.That(grid.Data.GetProperty("dataGrid").GetProperty("edges")[0].GetProperty("node").GetProperty("values")
                    .GetArrayLength(),
                Is.EqualTo(4));
            Assert.That(stats.Status, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(stats.FirstErrorMessage, Does.Contain("column 'price'").And.Contain(policy));
            Assert.That(board.Status, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(board.FirstErrorMessage, Does.Contain("column 'product'"));
            Assert.That(sum.Status, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(sum.FirstErrorMessage, Does.Contain($"Metric '{revenue}'").And.Contain("column 'price'"));
            Assert.That(allowed.Data.GetProperty("leaderboard").GetProperty("rows").GetArrayLength(), Is.EqualTo(10));
        });
    }

    [Test]
    public async Task Metric_with_a_filter_on_a_disallowed_column_is_refused()
    {
        var (pool, _, _) = await NewPoolAsync();
        var metric = Unique("filtered");
        await AdminAsync($"mutation {{ createMetric(input: {{ uniqueName: \"{metric}\", dataPool: \"{pool}\", type: COUNT, " +
                         "filters: [{ column: \"product\", operator: EQUALS, value: \"widget\" }] }) { id } }");
        var policy = await NewPolicyAsync(pool, ["tenant", "quantity"]);
        var application = await NewApplicationAsync();
        await AssignAsync(policy, application.ClientId);
        var call = await Fixture.QueryAsync($"{{ counter(metric: \"{metric}\") {{ value }} }}", await TokenAsync(application));
        Assert.Multiple(() =>
        {
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(call.FirstErrorMessage, Does.Contain("column 'product'"));
        });
    }

    [Test]
    public async Task Basic_credentials_are_subject_to_the_applications_policy()
    {
        var (pool, count, _) = await NewPoolAsync();
        var policy = await NewPolicyAsync(pool, ["*"], ("product", "EQUALS", "widget"));
        var application = await NewApplicationAsync();
        var basic = TestSupport.TokenServiceHost.Basic(application.ClientId, application.Secret);
        var before = await GraphQLCall.SendAsync(Fixture.ApiClient, $"{{ counter(metric: \"{count}\") {{ value }} }}", basic);
        await AssignAsync(policy, application.ClientId);
        var after = await GraphQLCall.SendAsync(Fixture.ApiClient, $"{{ counter(metric: \"{count}\") {{ value }} }}", basic);
        var expected = await SqlAsync<long>("SELECT count(*) FROM resource.orders WHERE product = 'widget'");
        Assert.Multiple(() =>
        {
            Assert.That(before.Status, Is.EqualTo(HttpStatusCode.Forbidden), before.ToString());
            Assert.That(after.Data.GetProperty("counter").GetProperty("value").GetString(), Is.EqualTo(Invariant(expected)),
                after.ToString());
        });
    }

    [Test]
    public async Task Changes_take_effect_for_the_next_request()
    {
        var (pool, count, _) = await NewPoolAsync();
        var policy = await NewPolicyAsync(pool, ["*"], ("product", "EQUALS", "gizmo"));
        var application = await NewApplicationAsync();
        await AssignAsync(policy, application.ClientId);
        var token = await TokenAsync(application);
        var query = $"{{ counter(metric: \"{count}\") {{ value }} }}";
        var first = await Fixture.QueryAsync(query, token);
        await AdminAsync("mutation($input: ModifyDataPoolAccessPolicyInput!) { modifyDataPoolAccessPolicy(input: $input) { id } }",
            new { input = new { dataPoolAccessPolicy = policy, rows = new[] { Rule("product", "EQUALS", "sprocket") } } });
        var modified = await Fixture.QueryAsync(query, token);
        await UnassignAsync(policy, application.ClientId);
        var unassigned = await Fixture.QueryAsync(query, token);
        await AdminAsync($"mutation {{ modifyDataPool(input: {{ dataPool: \"{pool}\", accessControlEnabled: false }}) {{ id }} }}");
        var off = await Fixture.QueryAsync(query, token);
        var gizmo = await SqlAsync<long>("SELECT count(*) FROM resource.orders WHERE product = 'gizmo'");
        var sprocket = await SqlAsync<long>("SELECT count(*) FROM resource.orders WHERE product = 'sprocket'");
        Assert.Multiple(() =>
        {
            Assert.That(first.Data.GetProperty("counter").GetProperty("value").GetString(), Is.EqualTo(Invariant(gizmo)));
            Assert.That(modified.Data.GetProperty("counter").GetProperty("value").GetString(), Is.EqualTo(Invariant(sprocket)));
            Assert.That(unassigned.Status, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(off.Data.GetProperty("counter").GetProperty("value").GetString(), Is.EqualTo("100000"));
        });
    }

    private static object Rule(string column, string op, string value) => new { column, @operator = op, value };
}
