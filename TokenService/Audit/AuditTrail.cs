using System.Security.Claims;
using Shared.Audit;
using Shared.Protocol;

namespace TokenService.Audit;

/// <summary>
/// Records a change with who made it. The actor comes from where the call runs: in a web request, the Console's
/// operator (set in HttpContext.Items) or else the management token's client_id; outside a request, the ops CLI
/// and the OS user running it. Callers pass only the action, the target and non-secret details.
/// </summary>
public sealed class AuditTrail(AuditStore store, IHttpContextAccessor? http = null)
{
    public Task RecordAsync(string action, string targetKind, string target, object? details, CancellationToken ct) =>
        store.InsertAsync(CurrentActor(), action, targetKind, target, details, ct);

    /// <summary>Records only when the change happened (a no-op for "not found"), so callers need no if around it.</summary>
    public Task RecordIfAsync(bool happened, string action, string targetKind, string target, object? details, CancellationToken ct) =>
        happened ? RecordAsync(action, targetKind, target, details, ct) : Task.CompletedTask;

    /// <summary>Records and returns true: for a change that has just happened, inside a boolean result.</summary>
    public async Task<bool> RecordedAsync(string action, string targetKind, string target, CancellationToken ct)
    {
        await RecordAsync(action, targetKind, target, null, ct);
        return true;
    }

    public AuditActor CurrentActor()
    {
        if (http?.HttpContext is not { } context)
        {
            return AuditActor.CommandLine();
        }

        if (context.Items[AuditActor.ItemKey] is AuditActor operatorActor)
        {
            return operatorActor;
        }

        var address = context.Connection.RemoteIpAddress?.ToString() ?? "";
        return ClientOf(context.User) is { } clientId
            ? new AuditActor(AuditActor.Client, clientId, address)
            : new AuditActor(AuditActor.System, "anonymous", address);
    }

    private static string? ClientOf(ClaimsPrincipal user) => user.FindFirst(ClaimNames.ClientId)?.Value;
}
