using System.Data.Common;
using System.Security.Claims;
using Shared.Audit;
using Shared.Protocol;

namespace TokenService.Audit;

/// <summary>
/// Names who makes a change, for its audit row. The actor comes from where the call runs: in a web request, the
/// Console's operator (set in HttpContext.Items) or else the management token's client_id; outside a request, the ops
/// CLI and the OS user running it. Callers pass only the action, the target and non-secret details; the store making
/// the change writes the row in the change's transaction (<see cref="AuditEntry"/>).
/// </summary>
public sealed class AuditTrail(IHttpContextAccessor? http = null)
{
    /// <summary>The audit row of a change the caller is about to make, for the store to write in the change's transaction.</summary>
    public AuditEntry Entry(string action, string targetKind, string target, object? details = null) =>
        new(CurrentActor(), action, targetKind, target, details);

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

/// <summary>
/// A change's audit row, written by the store that makes the change, on its connection and inside its transaction: the
/// change and its row commit together or not at all, so no change is ever missing from the trail.
/// </summary>
public sealed record AuditEntry(AuditActor Actor, string Action, string TargetKind, string Target, object? Details)
{
    public Task WriteAsync(DbConnection connection, DbTransaction transaction, CancellationToken ct) =>
        AuditEventWriter.InsertAsync(connection, transaction, Actor, Action, TargetKind, Target, Details, ct);

    /// <summary>The same row with another target (the stored spelling of a name) or details.</summary>
    public AuditEntry For(string target) => this with { Target = target };
}
