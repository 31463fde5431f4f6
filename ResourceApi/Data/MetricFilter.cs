using System.Text.Json;
using System.Text.Json.Serialization;

namespace ResourceApi.Data;

/// <summary>A Metric's filter: column, operator, value. The value is always bound as a parameter, cast to the column's type.</summary>
internal sealed record MetricFilter(
    [property: JsonPropertyName("column")] string Column,
    [property: JsonPropertyName("operator")] string Operator,
    [property: JsonPropertyName("value")] string Value)
{
    /// <summary>Operator name → SQL comparison. Only these strings ever reach SQL.</summary>
    public static readonly IReadOnlyDictionary<string, string> Operators = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["EQUALS"] = "=",
        ["NOT_EQUALS"] = "<>",
        ["GREATER_THAN"] = ">",
        ["GREATER_THAN_OR_EQUAL_TO"] = ">=",
        ["LESS_THAN"] = "<",
        ["LESS_THAN_OR_EQUAL_TO"] = "<=",
    };

    public static IReadOnlyList<MetricFilter> Parse(string json) =>
        JsonSerializer.Deserialize<List<MetricFilter>>(json) ?? [];

    public static string ToJson(IReadOnlyList<MetricFilter> filters) => JsonSerializer.Serialize(filters);
}
