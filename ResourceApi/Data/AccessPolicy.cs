using System.Text.RegularExpressions;

namespace ResourceApi.Data;

/// <summary>
/// An Access Policy (Propel's model): one Data Pool, the columns it allows (<c>["*"]</c> for all) and row rules,
/// filters like a Metric's whose value is a literal or a placeholder <c>${{ name }}</c> filled from the token.
/// Properties, not a positional record: Dapper's constructor matching does not bind text[] to string[].
/// </summary>
internal sealed partial record AccessPolicy
{
    public const string AllColumns = "*";

    public Guid Id { get; init; }

    public string UniqueName { get; init; } = "";

    public string Description { get; init; } = "";

    public Guid DataPoolId { get; init; }

    public string[] Columns { get; init; } = [];

    public string Rows { get; init; } = "[]";

    public string[] Applications { get; init; } = [];

    public DateTime CreatedAt { get; init; }

    public DateTime ModifiedAt { get; init; }

    public IReadOnlyList<MetricFilter> RowList => MetricFilter.Parse(Rows);

    public bool AllowsAllColumns => Columns is [AllColumns];

    public bool Allows(string column) => AllowsAllColumns || Columns.Contains(column, StringComparer.Ordinal);

    /// <summary>The placeholder's name when <paramref name="value"/> is exactly <c>${{ name }}</c>; null for a literal.</summary>
    public static string? PlaceholderName(string value) => Placeholder().Match(value) is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary>Looks like a placeholder (contains <c>${{</c>) without being a valid one: refused, not taken literally.</summary>
    public static bool IsMalformedPlaceholder(string value) =>
        PlaceholderName(value) is null && value.Contains("${{", StringComparison.Ordinal);

    // The same pattern as resource.sync_row_security (db/resource/0005_row_security.sql): both must read a rule alike.
    [GeneratedRegex(@"^\$\{\{[ \t]*([A-Za-z_][A-Za-z0-9_]{0,63})[ \t]*\}\}\z")]
    private static partial Regex Placeholder();
}

internal sealed record NewAccessPolicy(string UniqueName, string? Description, string DataPool, IReadOnlyList<string> Columns,
    IReadOnlyList<MetricFilter> Rows);

/// <summary>A change to a policy: null members stay as they are.</summary>
internal sealed record AccessPolicyChange(string Policy, string? UniqueName, string? Description, IReadOnlyList<string>? Columns,
    IReadOnlyList<MetricFilter>? Rows);

/// <summary>The caller may not read this: no policy for the pool, or a column outside its policy (HTTP 403).</summary>
internal sealed class AccessPolicyRefusedException(string message) : Exception(message);

/// <summary>Bad input to a policy change, naming the field (HTTP 400).</summary>
internal sealed class AccessPolicyInputException(string message) : Exception(message);
