using System.Globalization;
using System.Text.Json;
using Dapper;
using Npgsql;
using ResourceApi.Tests.Infrastructure;
using Shared.Protocol;
using TestSupport;

namespace ResourceApi.Tests.AccessPolicies;

/// <summary>
/// What the Access Policy tests build through the real API: a Data Pool of their own over the demo orders (so the
/// shared "orders" pool keeps access control off for every other test), policies, assignments, applications and
/// their tokens, and ground truth straight from PostgreSQL (as the superuser, which row-level security does not limit).
/// </summary>
internal static class PolicyWorld
{
    public static Task<string> AdminTokenAsync() => Fixture.TokenAsync(Scopes.Admin);

    public static string Unique(string prefix) => prefix + "_" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>Runs an admin mutation or query; fails the test on any error.</summary>
    public static async Task<JsonElement> AdminAsync(string query, object? variables = null)
    {
        var call = await Fixture.QueryAsync(query, await AdminTokenAsync(), variables);
        Assert.That(call.HasErrors, Is.False, call.ToString());
        return call.Data;
    }

    /// <summary>A new pool over resource.orders with access control on, and a COUNT and a SUM(price) Metric over it.</summary>
    public static async Task<(string Pool, string Count, string Revenue)> NewPoolAsync(bool accessControl = true)
    {
        var pool = Unique("pool");
        await AdminAsync($"mutation {{ createDataPool(input: {{ uniqueName: \"{pool}\", dataSource: \"demo_postgres\", " +
                         "table: \"orders\", " +
                         "timestamp: \"timestamp\", tenant: \"tenant\" }) { id } }");
        var count = Unique("count");
        var revenue = Unique("revenue");
        await AdminAsync($"mutation {{ a: createMetric(input: {{ uniqueName: \"{count}\", dataPool: \"{pool}\", type: COUNT }}) {{ id }} " +
                         $"b: createMetric(input: {{ uniqueName: \"{revenue}\", dataPool: \"{pool}\", type: SUM, " +
                         "measure: \"price\" }) { id } }");
        if (accessControl)
        {
            await AdminAsync(
                $"mutation {{ modifyDataPool(input: {{ dataPool: \"{pool}\", accessControlEnabled: true }}) {{ accessControlEnabled }} }}");
        }

        return (pool, count, revenue);
    }

    public static async Task<string> NewPolicyAsync(string pool, string[] columns, params (string Column, string Operator,
        string Value)[] rows)
    {
        var name = Unique("policy");
        await AdminAsync("mutation($input: CreateDataPoolAccessPolicyInput!) { createDataPoolAccessPolicy(input: $input) { id } }", new
        {
            input = new
            {
                uniqueName = name, dataPool = pool, columns,
                rows = rows.Select(r => new { column = r.Column, @operator = r.Operator, value = r.Value }).ToArray(),
            },
        });
        return name;
    }

    public static Task AssignAsync(string policy, params string[] applications) =>
        AdminAsync("mutation($input: AssignDataPoolAccessPolicyInput!) { assignDataPoolAccessPolicy(input: $input) { id } }",
            new { input = new { dataPoolAccessPolicy = policy, applications } });

    public static Task UnassignAsync(string policy, params string[] applications) =>
        AdminAsync("mutation($input: AssignDataPoolAccessPolicyInput!) { unAssignDataPoolAccessPolicy(input: $input) { id } }",
            new { input = new { dataPoolAccessPolicy = policy, applications } });

    /// <summary>A new application with every API scope but admin.</summary>
    public static Task<(string ClientId, string Secret)> NewApplicationAsync() =>
        Fixture.TokenService.CreateApplicationAsync(null, Scopes.DataPoolQuery, Scopes.DataPoolStats, Scopes.MetricQuery, Scopes.MetricRead,
            Scopes.MetricStats);

    public static Task<string> TokenAsync((string ClientId, string Secret) application, string? tenant = null,
        object? policyValues = null) =>
        TokenServiceHost.GetTokenAsync(Fixture.TokenClient, application.ClientId, application.Secret, null, tenant,
            policyValues is null ? null : JsonSerializer.Serialize(policyValues));

    public static async Task<T> SqlAsync<T>(string sql, object? args = null)
    {
        await using var connection = new NpgsqlConnection(Fixture.ConnectionString);
        return await connection.ExecuteScalarAsync<T>(sql, args) ?? throw new InvalidOperationException("no value");
    }

    public static string Invariant(object value) => Convert.ToString(value, CultureInfo.InvariantCulture)!;
}
