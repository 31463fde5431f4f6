namespace ResourceApi.Data;

// The catalog's rows. Column names map by Dapper's MatchNamesWithUnderscores (set in Shared.Database.Postgres).

/// <summary>Properties, not a positional record: Dapper's constructor matching does not bind text[] to string[].</summary>
internal sealed record DataSource
{
    public Guid Id { get; init; }

    public string UniqueName { get; init; } = "";

    public string Description { get; init; } = "";

    public string Type { get; init; } = "";

    public string Status { get; init; } = "";

    public string[] Tables { get; init; } = [];

    public DateTime CreatedAt { get; init; }
}

internal sealed record DataPool(
    Guid Id, string UniqueName, string Description, Guid DataSourceId, string TableName, string TimestampColumn, string TenantColumn, DateTime CreatedAt,
    bool AccessControlEnabled = false);

internal sealed record Metric(
    Guid Id, string UniqueName, string Description, Guid DataPoolId, string Type, string? Measure, string Filters, DateTime CreatedAt)
{
    public IReadOnlyList<MetricFilter> FilterList => MetricFilter.Parse(Filters);
}

/// <summary>COUNT, SUM or AVERAGE: the aggregation a Metric applies to its Data Pool.</summary>
internal static class MetricTypes
{
    public const string Count = "COUNT";
    public const string Sum = "SUM";
    public const string Average = "AVERAGE";
}

/// <summary>One page of a list: <see cref="Limit"/> items after skipping <see cref="Offset"/>.</summary>
internal sealed record Page(int Limit, int Offset);

/// <summary>[Start, Stop) on the Data Pool's timestamp column; either end may be open.</summary>
internal sealed record TimeRange(DateTimeOffset? Start, DateTimeOffset? Stop)
{
    public static readonly TimeRange All = new(null, null);
}

/// <summary>A query mistake the caller can fix (unknown metric, bad dimension, bad cursor); the message is shown.</summary>
internal sealed class ResourceRequestException(string message) : Exception(message);
