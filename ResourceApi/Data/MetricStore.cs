using Dapper;
using Npgsql;

namespace ResourceApi.Data;

/// <summary>The SQL for resource.metrics.</summary>
internal sealed class MetricStore(NpgsqlDataSource db, CatalogCache catalog)
{
    private const string Columns = "id, unique_name, description, data_pool_id, type, measure, filters::text AS filters, created_at";

    private const string ListSql = $"SELECT {Columns} FROM resource.metrics ORDER BY unique_name LIMIT @Limit OFFSET @Offset";

    private const string FindSql = $"SELECT {Columns} FROM resource.metrics WHERE unique_name = @uniqueName";

    private const string InsertSql = $"""
        INSERT INTO resource.metrics (id, unique_name, description, data_pool_id, type, measure, filters)
        VALUES (@Id, @UniqueName, @Description, @DataPoolId, @Type, @Measure, CAST(@Filters AS jsonb))
        RETURNING {Columns}
        """;

    private const string DeleteSql = "DELETE FROM resource.metrics WHERE id = @id";

    public Task<IReadOnlyList<Metric>> ListAsync(Page page, CancellationToken ct) => catalog.GetAsync(("metrics", page), async () =>
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (IReadOnlyList<Metric>)(await connection.QueryAsync<Metric>(new CommandDefinition(
            ListSql, new { Limit = page.Limit + 1, page.Offset }, cancellationToken: ct))).AsList();
    });

    public async Task<Metric> RequireAsync(string uniqueName, CancellationToken ct) =>
        await catalog.GetAsync(("metric", uniqueName), async () =>
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<Metric>(new CommandDefinition(FindSql, new { uniqueName },
            cancellationToken: ct));
    }) ?? throw new ResourceRequestException($"no Metric named '{uniqueName}'");

    public async Task<Metric> InsertAsync(Metric metric, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        try
        {
            var inserted = await connection.QuerySingleAsync<Metric>(new CommandDefinition(InsertSql, metric, cancellationToken: ct));
            catalog.Clear();
            return inserted;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new ResourceRequestException($"a Metric named '{metric.UniqueName}' already exists");
        }
    }

    public async Task<bool> DeleteAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        var deleted = await connection.ExecuteAsync(new CommandDefinition(DeleteSql, new { id }, cancellationToken: ct)) == 1;
        catalog.Clear();
        return deleted;
    }

    /// <summary>Checks that PostgreSQL can read <paramref name="value"/> as <paramref name="castType"/>, so a bad filter fails at
    /// creation.</summary>
    public async Task<bool> CastsAsync(string value, string castType, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        try
        {
            await connection.ExecuteScalarAsync(new CommandDefinition($"SELECT CAST(@value AS {castType})", new { value },
                cancellationToken: ct));
            return true;
        }
        catch (PostgresException e) when (e.SqlState.StartsWith("22", StringComparison.Ordinal))
        {
            return false;
        }
    }
}
