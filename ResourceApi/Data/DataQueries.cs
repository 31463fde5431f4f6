using Dapper;
using Npgsql;

namespace ResourceApi.Data;

/// <summary>A page of a Data Pool's rows: the column headers and each row's values as strings.</summary>
internal sealed record DataGrid(IReadOnlyList<string> Headers, IReadOnlyList<IReadOnlyList<string?>> Rows);

/// <summary>What a dimension (column) holds among the rows a caller may see.</summary>
internal sealed record DimensionStatistics(string Dimension, long RowCount, long UniqueCount, string? Min, string? Max);

/// <summary>
/// Reads over a Data Pool's table: rows and dimension statistics. Every query's WHERE starts from
/// <see cref="Sql.VisibleTo"/>, so a tenant-scoped token only ever reaches its own rows.
/// </summary>
internal sealed class DataQueries(NpgsqlDataSource db)
{
    public async Task<DataGrid> RowsAsync(DataPool pool, PoolColumns columns, string? tenant, Page page, CancellationToken ct)
    {
        var where = Sql.VisibleTo(pool, tenant);
        var selected = string.Join(", ", columns.All.Select(c => Sql.Quote(c.ColumnName)));
        // Newest first, then every column, so offsets address the same rows from one page to the next.
        var order = Sql.Quote(pool.TimestampColumn) + " DESC, " + selected;
        var text = $"SELECT {selected} FROM {Sql.Table(pool)} {where.Where} ORDER BY {order} " +
                   $"LIMIT {where.Bind(page.Limit + 1)} OFFSET {where.Bind(page.Offset)}";
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync(new CommandDefinition(text, where.Parameters, cancellationToken: ct));
        return new DataGrid(
            columns.All.Select(c => c.ColumnName).ToList(),
            rows.Cast<IDictionary<string, object?>>().Select(r => (IReadOnlyList<string?>)r.Values.Select(Cells.Format).ToList()).ToList());
    }

    public async Task<DimensionStatistics> DimensionStatsAsync(
        DataPool pool, PoolColumns columns, string dimension, string? tenant, IReadOnlyList<MetricFilter> filters, CancellationToken ct)
    {
        var column = Sql.Quote(columns.Require(dimension, "dimension").ColumnName);
        var where = Sql.VisibleTo(pool, tenant).Matching(filters, columns);
        var text = $"""
            SELECT count(*) AS row_count, count(DISTINCT {column}) AS unique_count, min({column}) AS min, max({column}) AS max
            FROM {Sql.Table(pool)} {where.Where}
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        var row = (IDictionary<string, object?>)await connection.QuerySingleAsync(new CommandDefinition(text, where.Parameters, cancellationToken: ct));
        return new DimensionStatistics(dimension, (long)row["row_count"]!, (long)row["unique_count"]!, Cells.Format(row["min"]), Cells.Format(row["max"]));
    }
}
