using System.Text.RegularExpressions;
using Shared.Protocol;

namespace TokenService.Token;

/// <summary>Which scopes a token gets: the requested subset of what the application may have (RFC 6749 s.3.3).</summary>
public static partial class ScopeSelection
{
    /// <summary>
    /// Propel's uppercase names (DATA_POOL_QUERY) are read as the lowercase scopes (Scopes.SplitRequested), so the
    /// token and the response always carry the lowercase form.
    /// Omitted scope means every API scope of the application. A scope that is unknown, malformed, or not granted
    /// to the application is invalid_scope: we refuse rather than silently narrow, so a caller learns at once.
    /// </summary>
    public static (string[]? Scopes, OAuthError? Error) ForClientCredentials(string? requested, IReadOnlyCollection<string> allowed) =>
        requested is null ? (allowed.Where(s => !Scopes.IsUserScope(s)).ToArray(), null) : Select(Scopes.SplitRequested(requested), allowed, forUser: false);

    /// <summary>
    /// For a signed-in user (authorization code, refresh): omitted scope means every scope of the application, the
    /// OIDC ones included; otherwise the request must be a non-empty subset of <paramref name="allowed"/>, never more.
    /// </summary>
    public static (string[]? Scopes, OAuthError? Error) ForUser(string? requested, IReadOnlyCollection<string> allowed) =>
        requested is null ? (allowed.ToArray(), null)
        : Scopes.SplitRequested(requested) is { Length: > 0 } scopes ? Select(scopes, allowed, forUser: true)
        : (null, OAuthError.InvalidScope("scope is empty"));

    private static (string[]? Scopes, OAuthError? Error) Select(string[] scopes, IReadOnlyCollection<string> allowed, bool forUser)
    {
        foreach (var scope in scopes)
        {
            if (!ScopeToken().IsMatch(scope))
            {
                return (null, OAuthError.InvalidScope("scope is malformed (RFC 6749 s.3.3)"));
            }

            if (!forUser && Scopes.IsUserScope(scope))
            {
                return (null, OAuthError.InvalidScope($"scope {scope} needs a signed-in user; it is not available with client_credentials"));
            }

            if (!allowed.Contains(scope, StringComparer.Ordinal))
            {
                return (null, OAuthError.InvalidScope($"scope {OAuthError.Truncate(scope)} is not granted to this application"));
            }
        }

        return (scopes, null);
    }

    /// <summary>RFC 6749 s.3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).</summary>
    [GeneratedRegex(@"^[\x21\x23-\x5B\x5D-\x7E]+\z")]
    public static partial Regex ScopeToken();
}
