namespace Shared.Protocol;

/// <summary>Every scope the product knows (CONTRACT.md, "Scopes").</summary>
public static class Scopes
{
    public const string Admin = "admin";
    public const string ApplicationAdmin = "application:admin";
    public const string MetricQuery = "metric:query";
    public const string MetricRead = "metric:read";
    public const string MetricStats = "metric:stats";
    public const string DataPoolQuery = "data_pool:query";
    public const string DataPoolStats = "data_pool:stats";
    public const string OpenId = "openid";
    public const string Profile = "profile";
    public const string Email = "email";
    public const string OfflineAccess = "offline_access";

    /// <summary>Scopes that grant access to APIs: what a machine client may hold.</summary>
    public static readonly IReadOnlyList<string> ApiScopes =
        [Admin, ApplicationAdmin, MetricQuery, MetricRead, MetricStats, DataPoolQuery, DataPoolStats];

    /// <summary>OpenID Connect scopes: they only make sense when a user signs in.</summary>
    public static readonly IReadOnlyList<string> UserScopes = [OpenId, Profile, Email, OfflineAccess];

    public static readonly IReadOnlyList<string> All = [.. ApiScopes, .. UserScopes];

    public static bool IsKnown(string scope) => All.Contains(scope, StringComparer.Ordinal);

    public static bool IsUserScope(string scope) => UserScopes.Contains(scope, StringComparer.Ordinal);

    /// <summary>RFC 6749 s.3.3: scope is a space-delimited list; we collapse repeats and keep the caller's order.</summary>
    public static string[] Split(string? scope) =>
        string.IsNullOrEmpty(scope) ? [] : scope.Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToArray();
}
