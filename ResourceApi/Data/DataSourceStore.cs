using Dapper;
using Npgsql;

namespace ResourceApi.Data;

/// <summary>The SQL for resource.data_sources.</summary>
internal sealed class DataSourceStore(NpgsqlDataSource db)
{
    private const string ListSql = """
        SELECT id, unique_name, description, type, status, tables, created_at
        FROM resource.data_sources ORDER BY unique_name LIMIT @Limit OFFSET @Offset
        """;

    private const string FindSql = """
        SELECT id, unique_name, description, type, status, tables, created_at
        FROM resource.data_sources WHERE unique_name = @uniqueName
        """;

    /// <summary>Up to Limit + 1 rows, so the caller can tell whether there is a next page.</summary>
    public async Task<IReadOnlyList<DataSource>> ListAsync(Page page, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<DataSource>(new CommandDefinition(
            ListSql, new { Limit = page.Limit + 1, page.Offset }, cancellationToken: ct))).AsList();
    }

    public async Task<DataSource?> FindAsync(string uniqueName, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<DataSource>(new CommandDefinition(FindSql, new { uniqueName }, cancellationToken: ct));
    }
}
