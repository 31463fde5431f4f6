namespace TokenService.Token;

/// <summary>An application's optional list of tenants it may request tokens for.</summary>
public static partial class TenantParameter
{
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
}
