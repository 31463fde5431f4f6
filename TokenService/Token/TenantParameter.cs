using System.Text.RegularExpressions;

namespace TokenService.Token;

/// <summary>
/// The <c>tenant</c> parameter (token and authorize requests): an opaque tenant ID for row-level policies at the
/// API, checked against what the application allows and, for a signed-in user, against the user's memberships.
/// </summary>
public static partial class TenantParameter
{
    public const int MaxLength = 128;

    public static OAuthError? Validate(string? tenant) =>
        tenant is null || TenantId().IsMatch(tenant) ? null
            : OAuthError.InvalidRequest($"tenant must be 1 to {MaxLength} characters of letters, digits, '.', '_', ':' or '-'");

    /// <summary>
    /// A tenant outside the application's list is refused with invalid_request: RFC 6749 s.5.2 defines it for "an
    /// unsupported parameter value", and <c>tenant</c> is neither a scope (invalid_scope, s.3.3) nor an RFC 8707
    /// resource indicator (invalid_target names the resource, not a row filter). A restricted application must name a
    /// tenant: a token without one would see every tenant's rows at the API.
    /// </summary>
    public static OAuthError? CheckAllowed(string? tenant, string[]? allowedTenants) =>
        allowedTenants is null ? null
        : tenant is null ? OAuthError.InvalidRequest("tenant is required: this application may only request tokens for its allowed tenants")
        : allowedTenants.Contains(tenant, StringComparer.Ordinal) ? null
        : OAuthError.InvalidRequest($"tenant '{OAuthError.Truncate(tenant)}' is not allowed for this application");

    /// <summary>
    /// The tenant a signed-in user's tokens carry: one of the user's memberships that the application allows, named
    /// by <paramref name="requested"/> or, when there is exactly one, that one. A user with memberships is always
    /// limited to one of them; a user without any gets no tenant, which a tenant-limited application refuses (no
    /// token of such an application is ever without a tenant). Checked at /oauth2/authorize and again at each refresh.
    /// </summary>
    public static (string? Tenant, OAuthError? Error) ForUser(string? requested, IReadOnlyCollection<string> memberships,
        string[]? allowedTenants)
    {
        if (Validate(requested) is { } malformed)
        {
            return (null, malformed);
        }

        var candidates = memberships.Where(t => allowedTenants is null || allowedTenants.Contains(t, StringComparer.Ordinal)).ToArray();
        if (requested is not null)
        {
            return candidates.Contains(requested, StringComparer.Ordinal) ? (requested, null)
                : (null, OAuthError.InvalidRequest($"tenant '{OAuthError.Truncate(requested)}' is not one of this user's tenants that " +
                    "the application allows"));
        }

        return candidates.Length switch
        {
            1 => (candidates[0], null),
            0 when memberships.Count == 0 && allowedTenants is null => (null, null),
            0 => (null, OAuthError.AccessDenied("this user belongs to no tenant that the application allows")),
            _ => (null, OAuthError.InvalidRequest("this user belongs to several tenants: name one with the tenant parameter")),
        };
    }

    // \z, not $: $ also matches before a final newline, so "acme\n" would pass as a tenant (issue 11 point 7).
    [GeneratedRegex(@"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}\z")]
    private static partial Regex TenantId();
}
