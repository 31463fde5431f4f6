using System.Globalization;
using System.Net;
using Dapper;
using Npgsql;
using ResourceApi.Tests.Infrastructure;
using Shared.Protocol;

namespace ResourceApi.Tests;

/// <summary>
/// A token with a tenant claim sees only that tenant's rows, in every kind of result; expected figures come straight
/// from PostgreSQL, so the API's filtering is checked against the data, not against itself.
/// </summary>
public sealed class TenantIsolationTests
{
    private static async Task<T> SqlAsync<T>(string sql, object? args = null)
    {
        await using var connection = new NpgsqlConnection(Fixture.ConnectionString);
        return await connection.ExecuteScalarAsync<T>(sql, args) ?? throw new InvalidOperationException("no value");
    }

    private static Task<string> TenantTokenAsync(string? tenant) => Fixture.TokenAsync(Scopes.Admin, tenant);

    [TestCase("acme")]
    [TestCase("globex")]
    [TestCase("initech")]
    public async Task Counter_counts_only_the_tokens_tenant(string tenant)
    {
        var call = await Fixture.QueryAsync("{ counter(metric: \"order_count\") { value } }", await TenantTokenAsync(tenant));
        var expected = await SqlAsync<long>("SELECT count(*) FROM resource.orders WHERE tenant = @tenant", new { tenant });
        Assert.That(call.Data.GetProperty("counter").GetProperty("value").GetString(), Is.EqualTo(expected.ToString(CultureInfo.InvariantCulture)));
    }

    [Test]
    public async Task Token_without_tenant_counts_every_row()
    {
        var call = await Fixture.QueryAsync("{ counter(metric: \"order_count\") { value } }", await TenantTokenAsync(null));
        Assert.That(call.Data.GetProperty("counter").GetProperty("value").GetString(), Is.EqualTo("100000"));
    }

    [Test]
    public async Task Unknown_tenant_sees_nothing()
    {
        var call = await Fixture.QueryAsync("{ counter(metric: \"order_count\") { value } }", await TenantTokenAsync("nobody"));
        Assert.That(call.Data.GetProperty("counter").GetProperty("value").GetString(), Is.EqualTo("0"));
    }

    [Test]
    public async Task Data_grid_rows_on_every_page_belong_to_the_tenant()
    {
        var token = await TenantTokenAsync("globex");
        var first = await Fixture.QueryAsync("{ dataGrid(dataPool: \"orders\", first: 100) { headers pageInfo { endCursor } edges { node { values } } } }", token);
        var grid = first.Data.GetProperty("dataGrid");
        var tenantIndex = grid.GetProperty("headers").EnumerateArray().Select(h => h.GetString()).ToList().IndexOf("tenant");
        var after = grid.GetProperty("pageInfo").GetProperty("endCursor").GetString();
        var second = await Fixture.QueryAsync(
            "query($after: String) { dataGrid(dataPool: \"orders\", first: 100, after: $after) { edges { node { values } } } }", token, new { after });
        var tenants = grid.GetProperty("edges").EnumerateArray()
            .Concat(second.Data.GetProperty("dataGrid").GetProperty("edges").EnumerateArray())
            .Select(e => e.GetProperty("node").GetProperty("values")[tenantIndex].GetString()).ToList();
        Assert.That(tenants, Has.Count.EqualTo(200).And.All.EqualTo("globex"));
    }

    [Test]
    public async Task Data_pool_dimension_stats_see_only_the_tenant()
    {
        var call = await Fixture.QueryAsync(
            "{ dataPoolDimensionStats(dataPool: \"orders\", dimension: \"tenant\") { rowCount uniqueCount min max } }", await TenantTokenAsync("acme"));
        var stats = call.Data.GetProperty("dataPoolDimensionStats");
        Assert.Multiple(() =>
        {
            Assert.That(stats.GetProperty("rowCount").GetInt64(), Is.EqualTo(33333));
            Assert.That(stats.GetProperty("uniqueCount").GetInt64(), Is.EqualTo(1));
            Assert.That(stats.GetProperty("min").GetString(), Is.EqualTo("acme"));
            Assert.That(stats.GetProperty("max").GetString(), Is.EqualTo("acme"));
        });
    }

    [Test]
    public async Task Time_series_sums_only_the_tenants_rows()
    {
        var call = await Fixture.QueryAsync("{ timeSeries(metric: \"revenue\", granularity: MONTH) { labels values } }", await TenantTokenAsync("initech"));
        var values = call.Data.GetProperty("timeSeries").GetProperty("values").EnumerateArray().Select(v => decimal.Parse(v.GetString()!, CultureInfo.InvariantCulture));
        var expected = await SqlAsync<decimal>("SELECT sum(price) FROM resource.orders WHERE tenant = 'initech'");
        Assert.That(values.Sum(), Is.EqualTo(expected));
    }

    [Test]
    public async Task Leaderboard_by_tenant_has_only_the_tokens_tenant()
    {
        var call = await Fixture.QueryAsync("{ leaderboard(metric: \"order_count\", dimensions: [\"tenant\"]) { rows } }", await TenantTokenAsync("acme"));
        var rows = call.Data.GetProperty("leaderboard").GetProperty("rows").EnumerateArray().Select(r => r[0].GetString() + "=" + r[1].GetString());
        Assert.That(rows, Is.EqualTo(new[] { "acme=33333" }));
    }

    [Test]
    public async Task Metric_dimension_stats_apply_filters_and_tenant()
    {
        var call = await Fixture.QueryAsync(
            "{ metricDimensionStats(metric: \"large_orders\", dimension: \"quantity\") { rowCount min max } }", await TenantTokenAsync("globex"));
        var stats = call.Data.GetProperty("metricDimensionStats");
        var expected = await SqlAsync<long>("SELECT count(*) FROM resource.orders WHERE tenant = 'globex' AND quantity >= 8");
        Assert.Multiple(() =>
        {
            Assert.That(stats.GetProperty("rowCount").GetInt64(), Is.EqualTo(expected));
            Assert.That(stats.GetProperty("min").GetString(), Is.EqualTo("8"));
        });
    }

    [Test]
    public async Task Tenant_that_looks_like_sql_is_only_ever_a_value()
    {
        // The TokenService refuses such tenants; a token signed with its key checks our side on its own.
        var token = TokenForge.Create(Fixture.TokenService, Fixture.Issuer, tenant: "x' OR '1'='1");
        var call = await Fixture.QueryAsync("{ counter(metric: \"order_count\") { value } }", token);
        Assert.Multiple(() =>
        {
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(call.Data.GetProperty("counter").GetProperty("value").GetString(), Is.EqualTo("0"));
        });
    }
}
