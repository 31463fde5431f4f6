using System.Net;
using GraphQL.Types;
using ResourceApi.Graph;
using ResourceApi.Tests.Infrastructure;
using Shared.Protocol;

namespace ResourceApi.Tests;

/// <summary>
/// The whole schema, field by field: the rows come from the schema object itself, so a new Query or Mutation field
/// without a scope policy or without a sample request here fails this test until someone decides who may use it.
/// </summary>
public sealed class ScopePolicyTableTests
{
    /// <summary>A minimal valid request per root field. Mutations are harmless: unique names, unknown ids.</summary>
    private static readonly Dictionary<string, Func<string>> Samples = new(StringComparer.Ordinal)
    {
        ["dataSources"] = () => "{ dataSources(first: 1) { edges { node { uniqueName } } } }",
        ["getAllDataSources"] = () => "{ getAllDataSources(first: 10) { pageInfo { hasNextPage } edges { node { uniqueName } } } }",
        ["dataPools"] = () => "{ dataPools(first: 1) { edges { node { uniqueName } } } }",
        ["dataGrid"] = () => "{ dataGrid(dataPool: \"orders\", first: 1) { headers edges { node { values } } } }",
        ["dataPoolDimensionStats"] = () => "{ dataPoolDimensionStats(dataPool: \"orders\", dimension: \"product\") { uniqueCount } }",
        ["metrics"] = () => "{ metrics(first: 1) { edges { node { uniqueName } } } }",
        ["counter"] = () => "{ counter(metric: \"order_count\") { value } }",
        ["timeSeries"] = () => "{ timeSeries(metric: \"revenue\", granularity: MONTH) { labels values } }",
        ["leaderboard"] = () => "{ leaderboard(metric: \"revenue\", dimensions: [\"product\"]) { headers rows } }",
        ["metricDimensionStats"] = () => "{ metricDimensionStats(metric: \"large_orders\", dimension: \"quantity\") { min max } }",
        ["createDataPool"] = () => $"mutation {{ createDataPool(input: {{uniqueName: \"{Unique("pool")}\", dataSource: \"demo_postgres\", " +
                                   "table: \"orders\", timestamp: \"timestamp\", tenant: \"tenant\"}) { id } }",
        ["deleteDataPool"] = () => $"mutation {{ deleteDataPool(id: \"{Guid.NewGuid()}\") }}",
        ["createMetric"] = () => $"mutation {{ createMetric(input: {{uniqueName: \"{Unique("metric")}\", dataPool: \"orders\", type: COUNT}}) {{ id }} }}",
        ["deleteMetric"] = () => $"mutation {{ deleteMetric(id: \"{Guid.NewGuid()}\") }}",
        ["dataPoolAccessPolicies"] = () => "{ dataPoolAccessPolicies(first: 1) { edges { node { uniqueName } } } }",
        ["dataPoolAccessPolicy"] = () => $"{{ dataPoolAccessPolicy(id: \"{Guid.NewGuid()}\") {{ id }} }}",
        ["modifyDataPool"] = () => "mutation { modifyDataPool(input: {dataPool: \"orders\"}) { accessControlEnabled } }",
        ["createDataPoolAccessPolicy"] = () => $"mutation {{ {NewPolicy(Unique("policy"))} }}",
        ["modifyDataPoolAccessPolicy"] = () =>
            WithPolicy(name => $"modifyDataPoolAccessPolicy(input: {{dataPoolAccessPolicy: \"{name}\", description: \"d\"}}) {{ id }}"),
        ["deleteDataPoolAccessPolicy"] = () => $"mutation {{ deleteDataPoolAccessPolicy(id: \"{Guid.NewGuid()}\") }}",
        ["assignDataPoolAccessPolicy"] = () => WithPolicy(name => "assignDataPoolAccessPolicy(input: {dataPoolAccessPolicy: " +
                                                                  $"\"{name}\", applications: [\"{Unique("client")}\"]}}) {{ id }}"),
        ["unAssignDataPoolAccessPolicy"] = () => WithPolicy(name => "unAssignDataPoolAccessPolicy(input: {dataPoolAccessPolicy: " +
                                                                    $"\"{name}\", applications: [\"nobody\"]}}) {{ id }}"),
    };

    // The schema as the API builds it; enumerated for test cases, so it lives for the whole run.
    private static readonly Lazy<(IComplexGraphType Query, IComplexGraphType? Mutation)> Roots = new(() =>
    {
        var schema = new ResourceSchema();
        schema.Initialize();
        return (schema.Query, schema.Mutation);
    });

    private static IEnumerable<FieldType> RootFields() => Roots.Value.Query.Fields.Concat(Roots.Value.Mutation?.Fields ?? []);

    private static IEnumerable<TestCaseData> EveryField() =>
        RootFields().Select(f => new TestCaseData(f.Name).SetArgDisplayNames(f.Name));

    /// <summary>One row per (field, scope that allows it): each scope alone is enough.</summary>
    private static IEnumerable<TestCaseData> EveryFieldAndAllowingScope() => RootFields().SelectMany(f =>
        (f.RequiredScopes() ?? [""]).Select(s => new TestCaseData(f.Name, s).SetArgDisplayNames(f.Name, s)));

    private static string Unique(string prefix) => prefix + "_" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>A policy on the shared "orders" pool, whose access control stays off: it changes nothing another test sees.</summary>
    private static string NewPolicy(string name) =>
        $"createDataPoolAccessPolicy(input: {{uniqueName: \"{name}\", dataPool: \"orders\", columns: [\"*\"]}}) {{ id }}";

    /// <summary>One policy on the shared "orders" pool (access control off), stored directly once, for mutations that need one.</summary>
    private static readonly Lazy<string> SamplePolicy = new(() =>
    {
        var name = Unique("policy");
        using var connection = new Npgsql.NpgsqlConnection(Fixture.ConnectionString);
        Dapper.SqlMapper.Execute(connection, "INSERT INTO resource.access_policies (id, unique_name, data_pool_id, columns) " +
            "SELECT gen_random_uuid(), @name, id, '{*}' FROM resource.data_pools WHERE unique_name = 'orders'", new { name });
        return name;
    });

    private static string WithPolicy(Func<string, string> mutation) => $"mutation {{ {mutation(SamplePolicy.Value)} }}";

    private static IReadOnlyList<string> ScopesOf(string field) =>
        RootFields().Single(f => f.Name == field).RequiredScopes() ?? throw new AssertionException($"field '{field}' has no scope policy");

    [TestCaseSource(nameof(EveryField))]
    public void Every_field_declares_a_scope_policy_and_has_a_sample_request(string field)
    {
        Assert.Multiple(() =>
        {
            Assert.That(RootFields().Single(f => f.Name == field).RequiredScopes(), Is.Not.Null.And.Not.Empty, "declare .RequireScopes(...) on the field");
            Assert.That(Samples.ContainsKey(field), Is.True, "add a sample request for the field to ScopePolicyTableTests.Samples");
        });
    }

    [TestCaseSource(nameof(EveryField))]
    public void Admin_is_allowed_on_every_field(string field) =>
        Assert.That(ScopesOf(field), Does.Contain(Scopes.Admin), "CONTRACT.md: admin has read and write access to everything data-related");

    [TestCaseSource(nameof(EveryFieldAndAllowingScope))]
    public async Task Token_with_exactly_an_allowing_scope_may_select_the_field(string field, string scope)
    {
        var call = await Fixture.QueryAsync(Samples[field](), await Fixture.TokenAsync(scope));
        Assert.Multiple(() =>
        {
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.OK), call.ToString());
            Assert.That(call.HasErrors, Is.False, call.ToString());
        });
    }

    [TestCaseSource(nameof(EveryField))]
    public async Task Token_with_every_other_scope_is_refused_the_field_with_403(string field)
    {
        var required = ScopesOf(field);
        var others = string.Join(' ', Scopes.ApiScopes.Except(required));
        var call = await Fixture.QueryAsync(Samples[field](), await Fixture.TokenAsync(others));
        var error = call.Errors.Single();
        Assert.Multiple(() =>
        {
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.Forbidden), call.ToString());
            Assert.That(call.WwwAuthenticate, Is.EqualTo($"Bearer error=\"insufficient_scope\", scope=\"{string.Join(' ', required)}\""));
            Assert.That(error.GetProperty("path").EnumerateArray().Select(p => p.GetString()), Is.EqualTo(new[] { field }));
            Assert.That(error.GetProperty("extensions").GetProperty("requiredScopes").EnumerateArray().Select(s => s.GetString()), Is.EqualTo(required));
            Assert.That(call.Body.TryGetProperty("data", out _), Is.False, "nothing executes");
        });
    }

    [Test]
    public async Task Request_with_several_refused_fields_names_every_one_and_runs_none()
    {
        var token = await Fixture.TokenAsync(Scopes.DataPoolQuery);
        var call = await Fixture.QueryAsync(
            "{ dataPools(first: 1) { edges { cursor } } metrics(first: 1) { edges { cursor } } total: counter(metric: \"order_count\") { value } }", token);
        Assert.Multiple(() =>
        {
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(call.Errors.Select(e => e.GetProperty("path")[0].GetString()), Is.EqualTo(new[] { "metrics", "total" }));
            Assert.That(call.WwwAuthenticate, Is.EqualTo("Bearer error=\"insufficient_scope\", scope=\"metric:read admin metric:query\""));
        });
    }

    [Test]
    public async Task Refused_field_inside_a_fragment_is_found()
    {
        var call = await Fixture.QueryAsync(
            "query { ...F } fragment F on Query { counter(metric: \"order_count\") { value } }", await Fixture.TokenAsync(Scopes.MetricRead));
        Assert.That(call.Status, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task Introspection_needs_no_scope_and_shows_each_fields_required_scopes()
    {
        var call = await Fixture.QueryAsync(
            "{ __typename __schema { queryType { fields { name description } } mutationType { fields { name description } } } }",
            // A scope that allows none of these fields. Not application:admin: since RFC 8707 audiences (issue 11
            // point 6) a token with only that scope is for the management API, and this API refuses it (401).
            await Fixture.TokenAsync(Scopes.MetricStats));
        Assert.That(call.Status, Is.EqualTo(HttpStatusCode.OK), call.ToString());
        var schema = call.Data.GetProperty("__schema");
        var fields = schema.GetProperty("queryType").GetProperty("fields").EnumerateArray()
            .Concat(schema.GetProperty("mutationType").GetProperty("fields").EnumerateArray()).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(fields.Select(f => f.GetProperty("description").GetString()), Has.All.Contains("Requires scope: "));
            Assert.That(fields, Has.Count.EqualTo(RootFields().Count(f => f.DeprecationReason is null)));
        });
    }

    [Test]
    public async Task Counter_description_names_its_scopes()
    {
        var call = await Fixture.QueryAsync("{ __type(name: \"Query\") { fields { name description } } }", await Fixture.TokenAsync(Scopes.MetricRead));
        var counter = call.Data.GetProperty("__type").GetProperty("fields").EnumerateArray().Single(f => f.GetProperty("name").GetString() == "counter");
        Assert.That(counter.GetProperty("description").GetString(), Does.EndWith("Requires scope: metric:query or admin."));
    }
}
