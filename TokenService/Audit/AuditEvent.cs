using System.Text.Json;

namespace TokenService.Audit;

/// <summary>One row of the audit trail. <see cref="Details"/> is a JSON object of non-secret facts (names, scopes, times).</summary>
public sealed record AuditEvent
{
    public long Id { get; init; }
    public DateTime OccurredAt { get; init; }
    public required string ActorKind { get; init; }
    public required string Actor { get; init; }
    public string Address { get; init; } = "";
    public required string Action { get; init; }
    public required string TargetKind { get; init; }
    public required string Target { get; init; }
    public JsonElement Details { get; init; }
}

/// <summary>The action names, one place (they are what `audit list` and GET /audit filter and print).</summary>
public static class AuditActions
{
    public const string ApplicationCreate = "application.create";
    public const string ApplicationUpdate = "application.update";
    public const string ApplicationRotateSecret = "application.rotate_secret";
    public const string ApplicationDelete = "application.delete";
    public const string UserCreate = "user.create";
    public const string UserDelete = "user.delete";
    public const string UserSetPassword = "user.set_password";
    public const string UserSignOut = "user.sign_out";
    public const string UserGrantRole = "user.grant_role";
    public const string UserRevokeRole = "user.revoke_role";
    public const string UserAddTenant = "user.add_tenant";
    public const string UserRemoveTenant = "user.remove_tenant";
    public const string KeyRotate = "key.rotate";
}
