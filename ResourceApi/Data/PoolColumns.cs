namespace ResourceApi.Data;

/// <summary>A column of a Data Pool's table, read from information_schema.</summary>
internal sealed record PoolColumn(string ColumnName, string DataType, bool IsNullable)
{
    /// <summary>The type a filter value is cast to; null for types we do not filter on.</summary>
    public string? CastType => DataType switch
    {
        "text" or "character varying" => "text",
        "integer" => "integer",
        "bigint" => "bigint",
        "smallint" => "smallint",
        "numeric" => "numeric",
        "double precision" => "double precision",
        "real" => "real",
        "boolean" => "boolean",
        "date" => "date",
        "timestamp with time zone" => "timestamptz",
        "timestamp without time zone" => "timestamp",
        _ => null,
    };

    public bool IsNumeric => DataType is "integer" or "bigint" or "smallint" or "numeric" or "double precision" or "real";

    public bool IsTimestamp => DataType is "timestamp with time zone" or "timestamp without time zone";
}

internal sealed record PoolColumns(IReadOnlyList<PoolColumn> All)
{
    public PoolColumn? Find(string name) => All.FirstOrDefault(c => c.ColumnName == name);

    /// <summary>The column, or a caller error naming what exists.</summary>
    public PoolColumn Require(string name, string role) => Find(name) ?? throw new ResourceRequestException(
        $"unknown {role} '{name}'; columns are: {string.Join(", ", All.Select(c => c.ColumnName))}");
}
