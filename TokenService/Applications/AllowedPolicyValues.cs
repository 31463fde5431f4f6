using System.Text.Json;
using Shared.Protocol;
using TokenService.Token;

namespace TokenService.Applications;

/// <summary>
/// Which Access Policy values (issue 15 point 2) an application may put into its tokens with <c>policy_values</c>: a JSON
/// object from placeholder name to the values allowed for it, <c>["*"]</c> meaning any value, e.g.
/// <c>{"region": ["eu", "us"], "customer": ["*"]}</c>. Null (the default) allows every name and value, as allowed
/// tenants do. <c>tenant</c> is not listed here: <see cref="Application.AllowedTenants"/> is that case, and one list for
/// it keeps the tenant claim and <c>${{ tenant }}</c> from ever being allowed differently.
/// A name that is not listed is refused rather than dropped: a caller relying on a value must learn it was not granted.
/// </summary>
public static class AllowedPolicyValues
{
    public const string Field = "allowedPolicyValues";
    public const string AnyValue = "*";
    public const int MaxValuesPerName = 100;

    /// <summary>The stored JSON for a caller's object (null: no restriction), or an error naming the field.</summary>
    public static (string? Json, ValidationError? Error) Validate(JsonElement? given)
    {
        if (given is not { ValueKind: not JsonValueKind.Null } element)
        {
            return (null, null);
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            return Fail("allowedPolicyValues must be null (any values) or an object of names to arrays of allowed values");
        }

        var allowed = new SortedDictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var member in element.EnumerateObject())
        {
            if (member.Name == PolicyValues.TenantName)
            {
                return Fail("allowedPolicyValues.tenant: the tenant is limited by allowedTenants");
            }

            if (!PolicyValues.IsName(member.Name))
            {
                return Fail($"allowedPolicyValues: '{OAuthError.Truncate(member.Name)}' is not a placeholder name " +
                            "(a letter or '_', then up to 63 letters, digits or '_')");
            }

            if (member.Value.ValueKind != JsonValueKind.Array ||
                member.Value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String))
            {
                return Fail($"allowedPolicyValues.{member.Name} must be an array of strings ([\"*\"] for any value)");
            }

            var values = member.Value.EnumerateArray().Select(v => v.GetString()!).Distinct(StringComparer.Ordinal).ToArray();
            if (values.Length is 0 or > MaxValuesPerName)
            {
                return Fail($"allowedPolicyValues.{member.Name} must hold 1 to {MaxValuesPerName} values " +
                            "(leave the name out to allow none)");
            }

            if (values.Select(v => PolicyValues.Check(member.Name, v)).FirstOrDefault(e => e is not null) is { } valueError)
            {
                return Fail($"allowedPolicyValues: {valueError}");
            }

            if (!allowed.TryAdd(member.Name, values))
            {
                return Fail($"allowedPolicyValues names '{member.Name}' twice");
            }
        }

        return allowed.Count > PolicyValues.MaxNames
            ? Fail($"allowedPolicyValues may hold at most {PolicyValues.MaxNames} names")
            : (JsonSerializer.Serialize(allowed), null);
    }

    /// <summary>
    /// invalid_request for a requested value the application may not have (RFC 6749 s.5.2: "an unsupported parameter
    /// value", as for a tenant outside allowedTenants); null when every one is allowed.
    /// </summary>
    public static OAuthError? Check(IReadOnlyDictionary<string, string>? requested, string? allowedJson)
    {
        if (requested is null || allowedJson is null)
        {
            return null;
        }

        var allowed = JsonSerializer.Deserialize<Dictionary<string, string[]>>(allowedJson)!;
        foreach (var (name, value) in requested)
        {
            if (name == PolicyValues.TenantName)
            {
                continue; // checked against allowedTenants
            }

            if (!allowed.TryGetValue(name, out var values))
            {
                return OAuthError.InvalidRequest($"policy_values.{name} is not allowed for this application");
            }

            if (!values.Contains(AnyValue, StringComparer.Ordinal) && !values.Contains(value, StringComparer.Ordinal))
            {
                return OAuthError.InvalidRequest(
                    $"policy_values.{name} '{OAuthError.Truncate(value)}' is not allowed for this application");
            }
        }

        return null;
    }

    /// <summary>True when <paramref name="after"/> allows a value <paramref name="before"/> allowed no longer (stored JSON).</summary>
    public static bool Narrows(string? before, string? after)
    {
        if (after is null)
        {
            return false;
        }

        if (before is null)
        {
            return true;
        }

        var old = JsonSerializer.Deserialize<Dictionary<string, string[]>>(before)!;
        var now = JsonSerializer.Deserialize<Dictionary<string, string[]>>(after)!;
        return old.Any(entry => !now.TryGetValue(entry.Key, out var values) ||
            (!values.Contains(AnyValue, StringComparer.Ordinal) && entry.Value.Except(values, StringComparer.Ordinal).Any()));
    }

    /// <summary>The stored JSON as the API shows it.</summary>
    public static JsonElement? View(string? json) => json is null ? null : JsonDocument.Parse(json).RootElement.Clone();

    private static (string?, ValidationError?) Fail(string message) => (null, new ValidationError(Field, message));
}
