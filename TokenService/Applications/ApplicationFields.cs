using System.Text.RegularExpressions;
using Shared.Protocol;
using TokenService.Token;
using static TokenService.Applications.Applications;

namespace TokenService.Applications;

/// <summary>The rules for each field a caller sets, on create and on update alike; errors name the field.</summary>
public static partial class ApplicationFields
{
    public const int MaxAllowedTenants = 100;

    public static (string? Name, ValidationError? Error) Name(string? name)
    {
        name = name?.Trim();
        return string.IsNullOrEmpty(name) || name.Length > MaxNameLength || HasControlCharacters().IsMatch(name)
            ? (null, new ValidationError("name", $"name is required: 1 to {MaxNameLength} printable characters"))
            : (name, null);
    }

    public static (string? Description, ValidationError? Error) Description(string? description)
    {
        description = description?.Trim() ?? "";
        return description.Length > MaxDescriptionLength || HasControlCharacters().IsMatch(description.Replace("\n", "", StringComparison.Ordinal))
            ? (null, new ValidationError("description", $"description must be at most {MaxDescriptionLength} printable characters"))
            : (description, null);
    }

    /// <summary>Stored in the lowercase form: an uppercase alias (APPLICATION_ADMIN) is the lowercase scope.</summary>
    public static (string[]? Scopes, ValidationError? Error) ScopeList(IEnumerable<string>? scopes)
    {
        var scopeList = (scopes ?? []).SelectMany(s => Scopes.SplitRequested(s)).Distinct(StringComparer.Ordinal).ToArray();
        var unknown = scopeList.Where(s => !Scopes.IsKnown(s)).ToArray();
        return unknown.Length > 0
            ? (null, new ValidationError("scopes", $"unknown scope(s) {string.Join(", ", unknown.Select(OAuthError.Truncate))}; " +
                                                   $"known scopes are: {string.Join(" ", Scopes.All)}"))
            : (scopeList, null);
    }

    /// <summary>Null means any tenant; a list restricts client_credentials tokens to those tenants (none: no token at all).</summary>
    public static (string[]? Tenants, ValidationError? Error) AllowedTenants(IEnumerable<string>? tenants)
    {
        if (tenants is null)
        {
            return (null, null);
        }

        var list = tenants.Select(t => t?.Trim() ?? "").Distinct(StringComparer.Ordinal).ToArray();
        if (list.Length > MaxAllowedTenants)
        {
            return (null, new ValidationError("allowedTenants", $"at most {MaxAllowedTenants} tenants"));
        }

        return list.FirstOrDefault(t => TenantParameter.Validate(t) is not null) is { } bad
            ? (null, new ValidationError("allowedTenants",
                $"tenant '{OAuthError.Truncate(bad)}' is not a tenant ID: 1 to {TenantParameter.MaxLength} letters, digits, '.', '_', ':' or '-'"))
            : (list, null);
    }

    public const int MinAccessTokenLifetimeSeconds = 60;

    /// <summary>Null: the server's default. Otherwise 60 s to the server's MaxAccessTokenLifetimeSeconds.</summary>
    public static (int? Seconds, ValidationError? Error) AccessTokenLifetime(int? seconds, int maxSeconds) =>
        seconds is null || (seconds >= MinAccessTokenLifetimeSeconds && seconds <= maxSeconds)
            ? (seconds, null)
            : (null, new ValidationError("accessTokenLifetimeSeconds",
                $"accessTokenLifetimeSeconds must be between {MinAccessTokenLifetimeSeconds} and {maxSeconds} " +
                "(the server's maximum), or null"));

    [GeneratedRegex(@"\p{Cc}")]
    private static partial Regex HasControlCharacters();
}
