using Dapper;
using Npgsql;

namespace ResourceApi.Data;

/// <summary>A Metric with the Data Pool it aggregates and that pool's columns: everything a metric query needs.</summary>
internal sealed record MetricSource(Metric Metric, DataPool Pool, PoolColumns Columns)
{
    /// <summary>The aggregate expression. The measure is a checked column; the function comes from a fixed switch.</summary>
    public string Aggregate => Metric.Type switch
    {
        MetricTypes.Count => "count(*)",
        MetricTypes.Sum => $"coalesce(sum({Sql.Quote(Columns.Require(Metric.Measure!, "measure").ColumnName)}), 0)",
        MetricTypes.Average => $"round(avg({Sql.Quote(Columns.Require(Metric.Measure!, "measure").ColumnName)})::numeric, 4)",
        _ => throw new ResourceRequestException($"unknown metric type '{Metric.Type}'"),
    };

    /// <summary>The rows this Metric counts that the caller may see.</summary>
    public Sql Rows(PoolAccess access, TimeRange range) =>
        access.Rows().Within(Pool, range).Matching(Metric.FilterList, Columns);
}

internal sealed record TimeSeries(IReadOnlyList<string> Labels, IReadOnlyList<string?> Values);

internal sealed record Leaderboard(IReadOnlyList<string> Headers, IReadOnlyList<IReadOnlyList<string?>> Rows);

/// <summary>Metric values: counter, time series and leaderboard, each over the caller's visible rows only.</summary>
internal sealed class MetricQueries(DataSessionSource db)
{
    /// <summary>date_trunc's field names; granularity values are bound as a parameter, never spliced.</summary>
    public static readonly IReadOnlyList<string> Granularities = ["minute", "hour", "day", "week", "month", "year"];

    public const int MaxBuckets = 1000;

    public Task<string?> CounterAsync(MetricSource source, PoolAccess access, TimeRange range, CancellationToken ct)
    {
        var rows = source.Rows(access, range);
        var text = $"SELECT {source.Aggregate} FROM {Sql.Table(source.Pool)} {rows.Where}";
        return DataSession.RunAsync(db, access, async (connection, transaction) => Cells.Format(await connection.ExecuteScalarAsync(
            new CommandDefinition(text, rows.Parameters, transaction, cancellationToken: ct))), ct);
    }

    public async Task<TimeSeries> TimeSeriesAsync(MetricSource source, PoolAccess access, TimeRange range, string granularity,
        CancellationToken ct)
    {
        if (!Granularities.Contains(granularity))
        {
            throw new ResourceRequestException($"granularity must be one of {string.Join(", ", Granularities)}");
        }

        var rows = source.Rows(access, range);
        var bucket = $"date_trunc({rows.Bind(granularity)}, {Sql.Quote(source.Pool.TimestampColumn)} AT TIME ZONE 'UTC')";
        var text = $"SELECT {bucket} AS label, {source.Aggregate} AS value FROM {Sql.Table(source.Pool)} {rows.Where} " +
                   $"GROUP BY 1 ORDER BY 1 LIMIT {MaxBuckets + 1}";
        var result = await DataSession.RunAsync(db, access, async (connection, transaction) =>
            (await connection.QueryAsync(new CommandDefinition(text, rows.Parameters, transaction, cancellationToken: ct)))
            .Cast<IDictionary<string, object?>>().ToList(), ct);
        if (result.Count > MaxBuckets)
        {
            throw new ResourceRequestException($"more than {MaxBuckets} buckets: choose a coarser granularity or a shorter timeRange");
        }

        return new TimeSeries(result.Select(r => Cells.Format(r["label"])!).ToList(), result.Select(r => Cells.Format(r["value"])).ToList());
    }

    public async Task<Leaderboard> LeaderboardAsync(
        MetricSource source, PoolAccess access, TimeRange range, IReadOnlyList<string> dimensions, bool descending, int rowLimit,
        CancellationToken ct)
    {
        if (dimensions.Count is < 1 or > 5)
        {
            throw new ResourceRequestException("a leaderboard needs 1 to 5 dimensions");
        }

        var rows = source.Rows(access, range);
        var columns = dimensions.Select(d => Sql.Quote(access.RequireColumn(d, "dimension").ColumnName)).ToList();
        var groups = string.Join(", ", Enumerable.Range(1, columns.Count));
        var text = $"SELECT {string.Join(", ", columns)}, {source.Aggregate} AS value FROM {Sql.Table(source.Pool)} {rows.Where} " +
                   $"GROUP BY {groups} ORDER BY value {(descending ? "DESC" : "ASC")}, {groups} LIMIT {rows.Bind(rowLimit)}";
        var result = await DataSession.RunAsync(db, access, (connection, transaction) =>
            connection.QueryAsync(new CommandDefinition(text, rows.Parameters, transaction, cancellationToken: ct)), ct);
        return new Leaderboard(
            [.. dimensions, "value"],
            result.Cast<IDictionary<string, object?>>().Select(r => (IReadOnlyList<string?>)r.Values.Select(Cells.Format).ToList()).ToList());
    }
}
