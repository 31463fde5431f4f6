using System.Collections.Concurrent;
using Dapper;
using Npgsql;

namespace ResourceApi.Data;

/// <summary>The SQL for resource.data_pools and the catalog questions about a pool's table.</summary>
internal sealed class DataPoolStore(NpgsqlDataSource db, CatalogCache catalog)
{
    private const string Columns = "id, unique_name, description, data_source_id, table_name, timestamp_column, tenant_column, created_at, " +
        "access_control_enabled";

    private const string ListSql = $"SELECT {Columns} FROM resource.data_pools ORDER BY unique_name LIMIT @Limit OFFSET @Offset";

    private const string FindSql = $"SELECT {Columns} FROM resource.data_pools WHERE unique_name = @uniqueName";

    private const string FindByIdSql = $"SELECT {Columns} FROM resource.data_pools WHERE id = @id";

    private const string ColumnsSql = """
        SELECT column_name, data_type, is_nullable = 'YES' AS is_nullable
        FROM information_schema.columns WHERE table_schema = 'resource' AND table_name = @table ORDER BY ordinal_position
        """;

    private const string InsertSql = $"""
        INSERT INTO resource.data_pools (id, unique_name, description, data_source_id, table_name, timestamp_column, tenant_column)
        VALUES (@Id, @UniqueName, @Description, @DataSourceId, @TableName, @TimestampColumn, @TenantColumn)
        RETURNING {Columns}
        """;

    private const string DeleteSql = "DELETE FROM resource.data_pools WHERE id = @id RETURNING table_name";

    // The table's row-level security follows its pools (db/resource/0005_row_security.sql), in the same transaction.
    private const string SyncSql = "SELECT resource.sync_row_security(@table)";

    // A table's columns do not change while the service runs (schema changes ship as migrations with a restart).
    private readonly ConcurrentDictionary<string, PoolColumns> columns = new(StringComparer.Ordinal);

    public Task<IReadOnlyList<DataPool>> ListAsync(Page page, CancellationToken ct) => catalog.GetAsync(("pools", page), async () =>
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (IReadOnlyList<DataPool>)(await connection.QueryAsync<DataPool>(new CommandDefinition(
            ListSql, new { Limit = page.Limit + 1, page.Offset }, cancellationToken: ct))).AsList();
    });

    public async Task<DataPool> RequireAsync(string uniqueName, CancellationToken ct) =>
        await FindByNameAsync(uniqueName, ct) ?? throw new ResourceRequestException($"no Data Pool named '{uniqueName}'");

    public Task<DataPool?> FindByNameAsync(string uniqueName, CancellationToken ct) => catalog.GetAsync(("pool", uniqueName), async () =>
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<DataPool>(new CommandDefinition(FindSql, new { uniqueName },
            cancellationToken: ct));
    });

    public async Task<(DataPool Pool, PoolColumns Columns)> RequireWithColumnsAsync(string uniqueName, CancellationToken ct)
    {
        var pool = await RequireAsync(uniqueName, ct);
        return (pool, await ColumnsAsync(pool.TableName, ct));
    }

    public Task<DataPool?> FindAsync(Guid id, CancellationToken ct) => catalog.GetAsync(("pool", id), async () =>
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<DataPool>(new CommandDefinition(FindByIdSql, new { id }, cancellationToken: ct));
    });

    public async Task<PoolColumns> ColumnsAsync(string table, CancellationToken ct)
    {
        if (columns.TryGetValue(table, out var known))
        {
            return known;
        }

        await using var connection = await db.OpenConnectionAsync(ct);
        var read = new PoolColumns((await connection.QueryAsync<PoolColumn>(new CommandDefinition(
            ColumnsSql, new { table }, cancellationToken: ct))).AsList());
        if (read.All.Count > 0)
        {
            columns[table] = read;
        }

        return read;
    }

    /// <summary>Inserts; a taken name is a caller error, not a 500.</summary>
    public async Task<DataPool> InsertAsync(DataPool pool, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        try
        {
            await using var transaction = await connection.BeginTransactionAsync(ct);
            var inserted = await connection.QuerySingleAsync<DataPool>(new CommandDefinition(InsertSql, pool, transaction,
                cancellationToken: ct));
            await connection.ExecuteAsync(new CommandDefinition(SyncSql, new { table = pool.TableName }, transaction,
                cancellationToken: ct));
            await transaction.CommitAsync(ct);
            catalog.Clear();
            return inserted;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new ResourceRequestException($"a Data Pool named '{pool.UniqueName}' already exists");
        }
    }

    public async Task<bool> DeleteAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        try
        {
            await using var transaction = await connection.BeginTransactionAsync(ct);
            var table = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(DeleteSql, new { id }, transaction,
                cancellationToken: ct));
            if (table is not null)
            {
                await connection.ExecuteAsync(new CommandDefinition(SyncSql, new { table }, transaction, cancellationToken: ct));
            }

            await transaction.CommitAsync(ct);
            catalog.Clear();
            return table is not null;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            throw new ResourceRequestException("the Data Pool still has Metrics; delete them first");
        }
    }
}
