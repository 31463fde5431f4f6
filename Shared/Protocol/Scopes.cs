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

    /// <summary>
    /// Propel's spelling of the API scopes (seed 001: <c>DATA_POOL_QUERY</c>, <c>APPLICATION_ADMIN</c>, ...): upper case,
    /// ':' as '_'. Each names exactly the lowercase scope. The OpenID scopes have no such alias: OIDC Core s.3.1.2.1
    /// fixes <c>openid</c> as written, and scope values are case-sensitive (RFC 6749 s.3.3).
    /// </summary>
    private static readonly Dictionary<string, string> UppercaseAliases =
        ApiScopes.ToDictionary(s => s.ToUpperInvariant().Replace(':', '_'), s => s, StringComparer.Ordinal);

    /// <summary>The lowercase scope an uppercase alias names; any other value as it is (checked by the caller).</summary>
    public static string Canonical(string scope) => UppercaseAliases.GetValueOrDefault(scope, scope);

    /// <summary>
    /// A scope list as a caller gives it (token, authorize, application fields): split as <see cref="Split"/>, aliases
    /// turned into the lowercase scopes, then repeats collapsed, so <c>METRIC_QUERY metric:query</c> is one scope.
    /// </summary>
    public static string[] SplitRequested(string? scope) =>
        string.IsNullOrEmpty(scope)
            ? []
            : scope.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(Canonical).Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>RFC 6749 s.3.3: scope is a space-delimited list; we collapse repeats and keep the caller's order.</summary>
    public static string[] Split(string? scope) =>
        string.IsNullOrEmpty(scope) ? [] : scope.Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal).ToArray();
}
