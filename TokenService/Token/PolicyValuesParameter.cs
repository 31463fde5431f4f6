using Shared.Protocol;

namespace TokenService.Token;

/// <summary>
/// The token request's <c>policy_values</c> (issue 15, Propel's parameter): a JSON object of string values for the
/// ResourceApi's Access Policy placeholders <c>${{ name }}</c>, signed into the access token as one claim. Its
/// <c>tenant</c> member and the <c>tenant</c> parameter are the same value: either may be given, both only if equal,
/// so the tenant claim and <c>${{ tenant }}</c> never disagree.
/// </summary>
public static class PolicyValuesParameter
{
    public static (IReadOnlyDictionary<string, string>? Values, string? Tenant, OAuthError? Error) Read(string? policyValues,
        string? tenant)
    {
        if (policyValues is null)
        {
            return (null, tenant, null);
        }

        var (values, error) = PolicyValues.Parse(policyValues);
        if (error is not null)
        {
            return (null, null, OAuthError.InvalidRequest(error));
        }

        if (values!.TryGetValue(PolicyValues.TenantName, out var named))
        {
            if (tenant is not null && tenant != named)
            {
                return (null, null, OAuthError.InvalidRequest("policy_values.tenant and tenant differ: give the tenant once"));
            }

            tenant = named;
        }

        return (values, tenant, null);
    }
}
