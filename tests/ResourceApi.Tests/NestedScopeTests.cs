using System.Net;
using Shared.Protocol;

namespace ResourceApi.Tests;

/// <summary>
/// Issue 11 point 7 and issue 14 point 3: a nested field carries the scope of the data it reads, a 403 names the
/// schema coordinate, the response path and the scopes any one of which would do, and a tenant-scoped admin token
/// cannot change the catalog every tenant shares.
/// </summary>
public sealed class NestedScopeTests
{
    private const string MetricsWithPools = "{ metrics(first: 2) { edges { node { uniqueName dataPool { uniqueName table } } } } }";

    [Test]
    public async Task Metric_read_token_reading_a_metrics_data_pool_needs_data_pool_query()
    {
        var call = await Fixture.QueryAsync(MetricsWithPools, await Fixture.TokenAsync(Scopes.MetricRead));
        var error = call.Errors.Single();
        Assert.Multiple(() =>
        {
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.Forbidden), call.ToString());
            Assert.That(call.WwwAuthenticate, Is.EqualTo("Bearer error=\"insufficient_scope\", scope=\"data_pool:query admin\""));
            Assert.That(error.GetProperty("extensions").GetProperty("coordinate").GetString(), Is.EqualTo("Metric.dataPool"));
            Assert.That(error.GetProperty("path").EnumerateArray().Select(p => p.GetString()),
                Is.EqualTo(new[] { "metrics", "edges", "node", "dataPool" }));
            Assert.That(call.Body.TryGetProperty("data", out _), Is.False, "nothing executes");
        });
    }

    [Test]
    public async Task Metric_read_and_data_pool_query_together_read_a_metrics_data_pool()
    {
        var call = await Fixture.QueryAsync(MetricsWithPools, await Fixture.TokenAsync($"{Scopes.MetricRead} {Scopes.DataPoolQuery}"));
        Assert.Multiple(() =>
        {
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.OK), call.ToString());
            Assert.That(call.HasErrors, Is.False, call.ToString());
            Assert.That(call.Data.GetProperty("metrics").GetProperty("edges")[0].GetProperty("node").GetProperty("dataPool")
                .GetProperty("table").GetString(),
                Is.Not.Empty);
        });
    }

    [Test]
    public async Task Forbidden_error_names_the_coordinate_the_alias_path_and_the_allowing_scopes()
    {
        var call = await Fixture.QueryAsync("{ pools: dataPools(first: 1) { edges { cursor } } }",
            await Fixture.TokenAsync(Scopes.MetricRead));
        var error = call.Errors.Single();
        Assert.Multiple(() =>
        {
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(error.GetProperty("message").GetString(),
                Is.EqualTo("field Query.dataPools (at path pools) requires scope data_pool:query or admin"));
            Assert.That(error.GetProperty("path").EnumerateArray().Select(p => p.GetString()), Is.EqualTo(new[] { "pools" }));
            Assert.That(error.GetProperty("extensions").GetProperty("coordinate").GetString(), Is.EqualTo("Query.dataPools"));
            Assert.That(error.GetProperty("extensions").GetProperty("requiredScopes").EnumerateArray().Select(s => s.GetString()),
                Is.EqualTo(new[] { Scopes.DataPoolQuery, Scopes.Admin }));
        });
    }

    [TestCase("mutation { createMetric(input: {uniqueName: \"tenant_made\", dataPool: \"orders\", type: COUNT}) { id } }",
        "Mutation.createMetric")]
    [TestCase("mutation { deleteMetric(id: \"00000000-0000-0000-0000-000000000000\") }", "Mutation.deleteMetric")]
    [TestCase("mutation { deleteDataPool(id: \"00000000-0000-0000-0000-000000000000\") }", "Mutation.deleteDataPool")]
    public async Task Tenant_scoped_admin_token_cannot_change_the_shared_catalog(string mutation, string coordinate)
    {
        var call = await Fixture.QueryAsync(mutation, await Fixture.TokenAsync(Scopes.Admin, "acme"));
        var error = call.Errors.Single();
        Assert.Multiple(() =>
        {
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.Forbidden), call.ToString());
            Assert.That(error.GetProperty("message").GetString(), Does.Contain("a tenant-scoped token may not call it"));
            Assert.That(error.GetProperty("extensions").GetProperty("code").GetString(), Is.EqualTo("TENANT_SCOPED_TOKEN"));
            Assert.That(error.GetProperty("extensions").GetProperty("coordinate").GetString(), Is.EqualTo(coordinate));
            Assert.That(call.Body.TryGetProperty("data", out _), Is.False, "nothing executes");
        });
    }

    [Test]
    public async Task Tenant_scoped_admin_token_still_reads_its_tenants_data()
    {
        var call = await Fixture.QueryAsync("{ counter(metric: \"order_count\") { value } }",
            await Fixture.TokenAsync(Scopes.Admin, "acme"));
        Assert.That(call.Status, Is.EqualTo(HttpStatusCode.OK), call.ToString());
    }

    [Test]
    public async Task Cached_document_is_checked_against_each_callers_scopes()
    {
        const string query = "{ counter(metric: \"order_count\") { value } }";
        var allowed = await Fixture.QueryAsync(query, await Fixture.TokenAsync(Scopes.MetricQuery));
        var refused = await Fixture.QueryAsync(query, await Fixture.TokenAsync(Scopes.MetricRead));
        var allowedAgain = await Fixture.QueryAsync(query, await Fixture.TokenAsync(Scopes.MetricQuery));
        Assert.Multiple(() =>
        {
            Assert.That(allowed.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(refused.Status, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(allowedAgain.Status, Is.EqualTo(HttpStatusCode.OK));
        });
    }
}
