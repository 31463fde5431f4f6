using Shared.Protocol;

namespace TokenService.Users;

/// <summary>
/// The roles a user can hold (<c>users grant-role USER ROLE</c>) and the privileged scopes each entitles a signed-in
/// user to. <c>admin</c> and <c>application:admin</c> are never in a user's token without the matching role, even
/// when the application holds them (issue 11 point 5); every other scope needs no role. docs/users.md has the table.
/// </summary>
public static class Roles
{
    /// <summary>May obtain <c>admin</c>: read and write Data Sources, Data Pools and Metrics at the ResourceApi.</summary>
    public const string DataAdmin = "data-admin";

    /// <summary>May obtain <c>application:admin</c>: the management API (applications, users).</summary>
    public const string ApplicationAdmin = "application-admin";

    /// <summary>The Console: full control, and read-only. They grant no token scope by themselves.</summary>
    public const string ConsoleAdmin = "console-admin";
    public const string ConsoleViewer = "console-viewer";

    public static readonly IReadOnlyDictionary<string, string[]> ScopesByRole = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        [DataAdmin] = [Scopes.Admin],
        [ApplicationAdmin] = [Scopes.ApplicationAdmin],
        [ConsoleAdmin] = [],
        [ConsoleViewer] = [],
    };

    /// <summary>Scopes no signed-in user gets without a role that allows them.</summary>
    public static readonly IReadOnlyList<string> Privileged = [Scopes.Admin, Scopes.ApplicationAdmin];

    public static bool IsKnown(string role) => ScopesByRole.ContainsKey(role);

    /// <summary>
    /// <paramref name="scopes"/> less the privileged ones the roles do not allow. <paramref name="named"/>: the client
    /// asked for them by name, so a missing role is an invalid_scope error rather than a silent narrowing.
    /// </summary>
    public static (string[]? Scopes, string? Refused) Entitled(string[] scopes, IReadOnlyCollection<string> roles, bool named)
    {
        var allowed = roles.SelectMany(r => ScopesByRole.TryGetValue(r, out var s) ? s : []).ToHashSet(StringComparer.Ordinal);
        var refused = scopes.Where(s => Privileged.Contains(s, StringComparer.Ordinal) && !allowed.Contains(s)).ToArray();
        return refused.Length > 0 && named ? (null, refused[0]) : (scopes.Except(refused, StringComparer.Ordinal).ToArray(), null);
    }
}
