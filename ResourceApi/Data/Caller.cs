using System.Security.Claims;
using Shared.Protocol;

namespace ResourceApi.Data;

/// <summary>
/// Who asks, as far as Access Policies care: the application (the token's client_id), the tenant the token is limited
/// to, and the values of the placeholders <c>${{ name }}</c> (the policy_values claim, with the tenant claim as
/// <c>tenant</c> so that a signed-in user's membership fills it too). A claim that does not parse gives no values:
/// every placeholder then matches no row.
/// </summary>
internal sealed record Caller(string ClientId, string? Tenant, IReadOnlyDictionary<string, string> Values)
{
    public static Caller Of(ClaimsPrincipal? user)
    {
        var tenant = user?.FindFirst(ClaimNames.Tenant)?.Value;
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (user?.FindFirst(ClaimNames.PolicyValues)?.Value is { } json && PolicyValues.Parse(json).Values is { } parsed)
        {
            foreach (var (name, value) in parsed)
            {
                values[name] = value;
            }
        }

        // The tenant claim is what the tenant filter uses: ${{ tenant }} must never name another tenant.
        if (tenant is not null)
        {
            values[PolicyValues.TenantName] = tenant;
        }
        else
        {
            values.Remove(PolicyValues.TenantName);
        }

        return new Caller(user?.FindFirst(ClaimNames.ClientId)?.Value ?? "", tenant, values);
    }
}
