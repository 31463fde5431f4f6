namespace Shared.Audit;

/// <summary>
/// Who made a change: a signed-in Console operator (<c>user</c>, the user id), a management API or GraphQL caller
/// (<c>client</c>, the client id of its token) or the ops command line (<c>cli</c>, the OS user); and from where (remote
/// address, or the host name for the CLI). In Shared because both services write the one audit trail.
/// </summary>
public sealed record AuditActor(string Kind, string Id, string Address)
{
    public const string User = "user";
    public const string Client = "client";
    public const string Cli = "cli";
    public const string System = "system";

    /// <summary>The HttpContext.Items key under which the Console names the operator of this request.</summary>
    public const string ItemKey = "TokenService.Audit.Actor";

    /// <summary>The ops command line: the OS user on this host.</summary>
    public static AuditActor CommandLine() => new(Cli, Environment.UserName, Environment.MachineName);
}
