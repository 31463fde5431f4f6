using System.Globalization;
using System.Text.RegularExpressions;
using Dapper;

namespace ResourceApi.Data;

/// <summary>
/// Identifiers and WHERE clauses. Values are only ever parameters; identifiers come from the catalog (checked against
/// information_schema and a lower_snake pattern) and are quoted. The tenant predicate is the first thing every data
/// query's WHERE is built from, so no query kind can forget it.
/// </summary>
internal sealed partial class Sql
{
    public const string Schema = "resource";

    private readonly List<string> clauses = [];
    private int next;

    private Sql()
    {
    }

    public DynamicParameters Parameters { get; } = new();

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex PlainIdentifier();

    public static bool IsPlainIdentifier(string name) => PlainIdentifier().IsMatch(name);

    public static string Quote(string identifier) => IsPlainIdentifier(identifier)
        ? "\"" + identifier + "\""
        : throw new ResourceRequestException($"'{identifier}' is not a valid column or table name");

    public static string Table(DataPool pool) => Schema + "." + Quote(pool.TableName);

    /// <summary>
    /// Rows a caller may see: only its tenant's when the token names one, and with an Access Policy only the rows its
    /// rules allow. A rule's value is a parameter (a placeholder's from the token); a placeholder the token gives no
    /// value for matches no row. Columns come from the pool's known columns only.
    /// </summary>
    public static Sql VisibleTo(PoolAccess access)
    {
        var sql = new Sql();
        if (access.Caller.Tenant is { } tenant)
        {
            sql.Add($"{Quote(access.Pool.TenantColumn)} = {sql.Bind(tenant)}");
        }

        foreach (var rule in access.Policy?.RowList ?? [])
        {
            if (AccessPolicy.PlaceholderName(rule.Value) is not { } name)
            {
                sql.Matching([rule], access.Columns);
            }
            else if (access.Caller.Values.TryGetValue(name, out var value))
            {
                sql.Matching([rule with { Value = value }], access.Columns);
            }
            else
            {
                sql.Add("FALSE");
            }
        }

        return sql;
    }

    public Sql Within(DataPool pool, TimeRange range)
    {
        if (range.Start is { } start)
        {
            Add($"{Quote(pool.TimestampColumn)} >= {Bind(start.UtcDateTime)}");
        }

        if (range.Stop is { } stop)
        {
            Add($"{Quote(pool.TimestampColumn)} < {Bind(stop.UtcDateTime)}");
        }

        return this;
    }

    public Sql Matching(IReadOnlyList<MetricFilter> filters, PoolColumns columns)
    {
        foreach (var filter in filters)
        {
            var column = columns.Require(filter.Column, "filter column");
            var op = MetricFilter.Operators.TryGetValue(filter.Operator, out var o) ? o
                : throw new ResourceRequestException($"unknown filter operator '{filter.Operator}'");
            var cast = column.CastType ?? throw new ResourceRequestException($"column '{column.ColumnName}' cannot be filtered");
            Add($"{Quote(column.ColumnName)} {op} CAST({Bind(filter.Value)} AS {cast})");
        }

        return this;
    }

    /// <summary>A new parameter holding <paramref name="value"/>; returns its placeholder.</summary>
    public string Bind(object value)
    {
        var name = "p" + (next++).ToString(CultureInfo.InvariantCulture);
        Parameters.Add(name, value);
        return "@" + name;
    }

    public string Where => clauses.Count == 0 ? "" : "WHERE " + string.Join(" AND ", clauses);

    private void Add(string clause) => clauses.Add(clause);
}
