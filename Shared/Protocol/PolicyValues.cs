using System.Text.Json;
using System.Text.RegularExpressions;

namespace Shared.Protocol;

/// <summary>
/// Access Policy values (issue 15): the token request's <c>policy_values</c> parameter and the access token's claim of
/// the same name, a JSON object of string values that fill the placeholders <c>${{ name }}</c> of row rules. One set
/// of limits for both services, so the ResourceApi never sees a value the TokenService would not have issued.
/// </summary>
public static partial class PolicyValues
{
    public const int MaxNames = 16;

    public const int MaxValueLength = 256;

    public const string TenantName = "tenant";

    public static bool IsName(string name) => NamePattern().IsMatch(name);

    /// <summary>The values of a JSON object, or an error naming what is wrong (never an exception).</summary>
    public static (IReadOnlyDictionary<string, string>? Values, string? Error) Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 2 });
        }
        catch (JsonException)
        {
            return (null, "policy_values must be a JSON object of string values");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, "policy_values must be a JSON object of string values");
            }

            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var member in document.RootElement.EnumerateObject())
            {
                if (Check(member.Name, member.Value.ValueKind == JsonValueKind.String ? member.Value.GetString() : null) is { } error)
                {
                    return (null, error);
                }

                if (!values.TryAdd(member.Name, member.Value.GetString()!))
                {
                    return (null, $"policy_values names '{member.Name}' twice");
                }

                if (values.Count > MaxNames)
                {
                    return (null, $"policy_values may hold at most {MaxNames} names");
                }
            }

            return (values, null);
        }
    }

    /// <summary>One name and value; null when both are acceptable.</summary>
    public static string? Check(string name, string? value) =>
        !IsName(name)
            ? $"policy_values name '{Truncate(name)}' is not an identifier (a letter or '_', then up to 63 letters, digits or '_')"
        : value is null ? $"policy_values.{name} must be a string"
        : value.Length > MaxValueLength ? $"policy_values.{name} is longer than {MaxValueLength} characters"
        : value.Any(char.IsControl) ? $"policy_values.{name} contains a control character"
        : null;

    public static string ToJson(IReadOnlyDictionary<string, string> values) => JsonSerializer.Serialize(values);

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "...";

    // \z, not $: $ also matches before a final newline.
    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]{0,63}\z")]
    private static partial Regex NamePattern();
}
