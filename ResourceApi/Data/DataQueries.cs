using Dapper;
using Npgsql;

namespace ResourceApi.Data;

/// <summary>A page of a Data Pool's rows: the column headers and each row's values as strings.</summary>
internal sealed record DataGrid(IReadOnlyList<string> Headers, IReadOnlyList<IReadOnlyList<string?>> Rows);

/// <summary>What a dimension (column) holds among the rows a caller may see.</summary>
internal sealed record DimensionStatistics(string Dimension, long RowCount, long UniqueCount, string? Min, string? Max);

/// <summary>
/// Reads over a Data Pool's table: rows and dimension statistics. Every query's WHERE starts from
/// <see cref="Sql.VisibleTo"/>, so a tenant-scoped token only ever reaches its own rows, and a policy's caller
/// only its policy's rows and columns; each runs in a <see cref="DataSession"/> (row-level security).
/// </summary>
internal sealed class DataQueries(DataSessionSource db)
{
    /// <summary>The columns the caller's policy allows, in table order (the others are absent, not empty).</summary>
    public Task<DataGrid> RowsAsync(PoolAccess access, Page page, CancellationToken ct)
    {
        var pool = access.Pool;
        var visible = access.VisibleColumns;
        var where = access.Rows();
        var selected = string.Join(", ", visible.Select(c => Sql.Quote(c.ColumnName)));
        // Newest first, then every column, so offsets address the same rows from one page to the next. Only visible
        // columns order (a hidden one's order would leak its values); the row's physical position breaks the ties left.
        var timestamp = visible.Any(c => c.ColumnName == pool.TimestampColumn) ? Sql.Quote(pool.TimestampColumn) + " DESC, " : "";
        var order = timestamp + string.Join(", ", visible.Select(c => Sql.Quote(c.ColumnName)).Append("ctid"));
        var text = $"SELECT {selected} FROM {Sql.Table(pool)} {where.Where} ORDER BY {order} " +
                   $"LIMIT {where.Bind(page.Limit + 1)} OFFSET {where.Bind(page.Offset)}";
        return DataSession.RunAsync(db, access, async (connection, transaction) =>
        {
            var rows = await connection.QueryAsync(new CommandDefinition(text, where.Parameters, transaction, cancellationToken: ct));
            return new DataGrid(
                visible.Select(c => c.ColumnName).ToList(),
                rows.Cast<IDictionary<string, object?>>().Select(r =>
                    (IReadOnlyList<string?>)r.Values.Select(Cells.Format).ToList()).ToList());
        }, ct);
    }

    public Task<DimensionStatistics> DimensionStatsAsync(PoolAccess access, string dimension, IReadOnlyList<MetricFilter> filters,
        CancellationToken ct)
    {
        var column = Sql.Quote(access.RequireColumn(dimension, "dimension").ColumnName);
        var where = access.Rows().Matching(filters, access.Columns);
        var text = $"""
            SELECT count(*) AS row_count, count(DISTINCT {column}) AS unique_count, min({column}) AS min, max({column}) AS max
            FROM {Sql.Table(access.Pool)} {where.Where}
            """;
        return DataSession.RunAsync(db, access, async (connection, transaction) =>
        {
            var row = (IDictionary<string, object?>)await connection.QuerySingleAsync(new CommandDefinition(
                text, where.Parameters, transaction, cancellationToken: ct));
            return new DimensionStatistics(dimension, (long)row["row_count"]!, (long)row["unique_count"]!, Cells.Format(row["min"]),
                Cells.Format(row["max"]));
        }, ct);
    }
}
