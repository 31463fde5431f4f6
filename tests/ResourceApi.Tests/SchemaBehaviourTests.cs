using System.Globalization;
using System.Net;
using Dapper;
using Npgsql;
using Shared.Protocol;

namespace ResourceApi.Tests;

/// <summary>What the fields return: Relay paging, metric values checked against SQL, and the catalog mutations.</summary>
public sealed class SchemaBehaviourTests
{
    private static async Task<string> AdminAsync() => await Fixture.TokenAsync(Scopes.Admin);

    [Test]
    public async Task Relay_cursors_page_through_metrics_without_overlap()
    {
        var first = await Fixture.QueryAsync("{ metrics(first: 2) { pageInfo { hasNextPage endCursor } edges { node { uniqueName } } } }", await AdminAsync());
        var page = first.Data.GetProperty("metrics");
        var second = await Fixture.QueryAsync("query($after: String) { metrics(first: 2, after: $after) { pageInfo { hasPreviousPage } edges { node { uniqueName } } } }",
            await AdminAsync(), new { after = page.GetProperty("pageInfo").GetProperty("endCursor").GetString() });
        var names = page.GetProperty("edges").EnumerateArray().Concat(second.Data.GetProperty("metrics").GetProperty("edges").EnumerateArray())
            .Select(e => e.GetProperty("node").GetProperty("uniqueName").GetString()).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(page.GetProperty("pageInfo").GetProperty("hasNextPage").GetBoolean(), Is.True);
            Assert.That(second.Data.GetProperty("metrics").GetProperty("pageInfo").GetProperty("hasPreviousPage").GetBoolean(), Is.True);
            Assert.That(names, Is.Unique.And.Count.EqualTo(4));
        });
    }

    [TestCase("order_count", "SELECT count(*)::numeric FROM resource.orders")]
    [TestCase("revenue", "SELECT sum(price) FROM resource.orders")]
    [TestCase("average_quantity", "SELECT round(avg(quantity), 4) FROM resource.orders")]
    [TestCase("large_orders", "SELECT count(*)::numeric FROM resource.orders WHERE quantity >= 8")]
    public async Task Counter_matches_sql(string metric, string sql)
    {
        await using var connection = new NpgsqlConnection(Fixture.ConnectionString);
        var expected = await connection.ExecuteScalarAsync<decimal>(sql);
        var call = await Fixture.QueryAsync($"{{ counter(metric: \"{metric}\") {{ value }} }}", await AdminAsync());
        Assert.That(decimal.Parse(call.Data.GetProperty("counter").GetProperty("value").GetString()!, CultureInfo.InvariantCulture), Is.EqualTo(expected));
    }

    [Test]
    public async Task Time_range_limits_the_counter()
    {
        var call = await Fixture.QueryAsync(
            "{ counter(metric: \"order_count\", timeRange: { start: \"2024-03-01T00:00:00Z\", stop: \"2024-03-02T00:00:00Z\" }) { value } }", await AdminAsync());
        await using var connection = new NpgsqlConnection(Fixture.ConnectionString);
        var expected = await connection.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM resource.orders WHERE \"timestamp\" >= '2024-03-01Z' AND \"timestamp\" < '2024-03-02Z'");
        Assert.That(call.Data.GetProperty("counter").GetProperty("value").GetString(), Is.EqualTo(expected.ToString(CultureInfo.InvariantCulture)));
    }

    [Test]
    public async Task Leaderboard_is_sorted_and_limited()
    {
        var call = await Fixture.QueryAsync("{ leaderboard(metric: \"revenue\", dimensions: [\"product\"], rowLimit: 3) { headers rows } }", await AdminAsync());
        var board = call.Data.GetProperty("leaderboard");
        var values = board.GetProperty("rows").EnumerateArray().Select(r => decimal.Parse(r[1].GetString()!, CultureInfo.InvariantCulture)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(board.GetProperty("headers").EnumerateArray().Select(h => h.GetString()), Is.EqualTo(new[] { "product", "value" }));
            Assert.That(values, Has.Count.EqualTo(3).And.Ordered.Descending);
        });
    }

    [Test]
    public async Task Unknown_dimension_is_an_error_naming_the_columns()
    {
        var call = await Fixture.QueryAsync("{ leaderboard(metric: \"revenue\", dimensions: [\"nope\\\"; DROP\"]) { rows } }", await AdminAsync());
        Assert.That(call.FirstErrorMessage, Does.StartWith("unknown dimension 'nope\"; DROP'; columns are: id, timestamp, tenant"));
    }

    [Test]
    public async Task Admin_creates_queries_and_deletes_a_data_pool_and_a_metric()
    {
        var token = await AdminAsync();
        var pool = await Fixture.QueryAsync("mutation { createDataPool(input: { uniqueName: \"orders_copy\", dataSource: \"demo_postgres\", " +
                                            "table: \"orders\", timestamp: \"timestamp\", tenant: \"tenant\" }) { id uniqueName } }", token);
        var metric = await Fixture.QueryAsync("mutation { createMetric(input: { uniqueName: \"cheap_orders\", dataPool: \"orders_copy\", type: COUNT, " +
                                              "filters: [{ column: \"price\", operator: LESS_THAN, value: \"10\" }] }) { id filters { operator } } }", token);
        var value = await Fixture.QueryAsync("{ counter(metric: \"cheap_orders\") { value } }", token);
        var metricId = metric.Data.GetProperty("createMetric").GetProperty("id").GetString();
        var poolId = pool.Data.GetProperty("createDataPool").GetProperty("id").GetString();
        var poolInUse = await Fixture.QueryAsync($"mutation {{ deleteDataPool(id: \"{poolId}\") }}", token);
        var deletedMetric = await Fixture.QueryAsync($"mutation {{ deleteMetric(id: \"{metricId}\") }}", token);
        var deletedPool = await Fixture.QueryAsync($"mutation {{ deleteDataPool(id: \"{poolId}\") }}", token);
        await using var connection = new NpgsqlConnection(Fixture.ConnectionString);
        var expected = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM resource.orders WHERE price < 10");
        Assert.Multiple(() =>
        {
            Assert.That(value.Data.GetProperty("counter").GetProperty("value").GetString(), Is.EqualTo(expected.ToString(CultureInfo.InvariantCulture)));
            Assert.That(poolInUse.FirstErrorMessage, Is.EqualTo("the Data Pool still has Metrics; delete them first"));
            Assert.That(deletedMetric.Data.GetProperty("deleteMetric").GetString(), Is.EqualTo(metricId));
            Assert.That(deletedPool.Data.GetProperty("deleteDataPool").GetString(), Is.EqualTo(poolId));
        });
    }

    [TestCase("{ uniqueName: \"m1\", dataPool: \"orders\", type: SUM }", "COUNT takes no measure; SUM and AVERAGE need one")]
    [TestCase("{ uniqueName: \"m2\", dataPool: \"orders\", type: SUM, measure: \"product\" }", "measure 'product' is not numeric")]
    [TestCase("{ uniqueName: \"order_count\", dataPool: \"orders\", type: COUNT }", "a Metric named 'order_count' already exists")]
    [TestCase("{ uniqueName: \"m3\", dataPool: \"orders\", type: COUNT, filters: [{ column: \"quantity\", operator: EQUALS, value: \"many\" }] }",
        "filter value 'many' is not a valid integer for column 'quantity'")]
    public async Task Invalid_metric_is_refused_with_a_reason(string input, string reason)
    {
        var call = await Fixture.QueryAsync($"mutation {{ createMetric(input: {input}) {{ id }} }}", await AdminAsync());
        Assert.Multiple(() =>
        {
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(call.FirstErrorMessage, Is.EqualTo(reason));
        });
    }
}
