using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using TokenService.Applications;

namespace TokenService.Audit;

/// <summary>GET /audit for bearer tokens with application:admin: newest first, filtered by time, target and action.</summary>
public static class AuditApi
{
    public const string Path = "/audit";
    public const int DefaultLimit = 100;

    public static IEndpointRouteBuilder MapAudit(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, ListAsync).RequireAuthorization(ManagementAuthentication.Policy);
        return app;
    }

    public static async Task<Results<Ok<IReadOnlyList<AuditEvent>>, ValidationProblem>> ListAsync(
        string? since, string? target, string? action, string? limit, AuditStore store, CancellationToken ct)
    {
        var (filter, error) = AuditFilter.Parse(since, target, action, limit);
        return error is not null
            ? JsonBody.Problem(error.Value.Field, error.Value.Message)
            : TypedResults.Ok(await store.ListAsync(filter!.Since, filter.Target, filter.Action, filter.Limit, ct));
    }
}

/// <summary>The filters the API, the CLI and the Console accept, checked in one place; errors name the parameter.</summary>
public sealed record AuditFilter(DateTimeOffset? Since, string? Target, string? Action, int Limit)
{
    public static (AuditFilter? Filter, (string Field, string Message)? Error) Parse(string? since, string? target, string? action,
        string? limit)
    {
        DateTimeOffset? sinceValue = null;
        if (!string.IsNullOrWhiteSpace(since))
        {
            if (!DateTimeOffset.TryParse(since.Trim(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                return (null, ("since", "since must be an ISO 8601 time, e.g. 2026-01-31T12:00:00Z"));
            }

            sinceValue = parsed;
        }

        var limitValue = AuditApi.DefaultLimit;
        if (!string.IsNullOrWhiteSpace(limit) &&
            (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out limitValue)
                || limitValue is < 1 or > AuditStore.MaxListLimit))
        {
            return (null, ("limit", $"limit must be a whole number from 1 to {AuditStore.MaxListLimit}"));
        }

        target = string.IsNullOrWhiteSpace(target) ? null : target.Trim();
        action = string.IsNullOrWhiteSpace(action) ? null : action.Trim();
        // PostgreSQL text cannot hold U+0000, and no target or action holds a control character: the caller's mistake.
        var controlIn = target?.Any(char.IsControl) == true ? "target" : action?.Any(char.IsControl) == true ? "action" : null;
        if (controlIn is not null)
        {
            return (null, (controlIn, "the filter must not contain control characters"));
        }

        return target is { Length: > 200 } || action is { Length: > 64 }
            ? (null, (target is { Length: > 200 } ? "target" : "action", "the filter is too long"))
            : (new AuditFilter(sinceValue, target, action, limitValue), null);
    }
}
