using System.CommandLine;
using TokenService.Audit;

namespace TokenService.Cli;

/// <summary><c>audit list|prune</c>: read the audit trail, and apply its retention period now.</summary>
public static class AuditCommand
{
    public static Command Create(CliContext context)
    {
        var since = new Option<string>("--since")
        {
            Description = "Only events at or after this ISO 8601 time (e.g. 2026-01-31T12:00:00Z)."
        };
        var target = new Option<string>("--target") { Description = "Only events about this target (a client id, username or kid)." };
        var action = new Option<string>("--action") { Description = "Only actions starting with this (e.g. application. or user.delete)." };
        var limit = new Option<string>("--limit")
        {
            Description = $"At most this many events, newest first (default {AuditApi.DefaultLimit})."
        };
        var list = new Command("list", "Print audit events as JSON, newest first.") { since, target, action, limit };
        list.SetAction(async (parse, ct) =>
        {
            var (filter, error) = AuditFilter.Parse(parse.GetValue(since), parse.GetValue(target), parse.GetValue(action),
                parse.GetValue(limit));
            return error is { } e
                ? await context.FailAsync(OpsCli.Usage, $"--{e.Field}: {e.Message}")
                : await context.PrintJsonAsync(await context.Get<AuditStore>()
                    .ListAsync(filter!.Since, filter.Target, filter.Action, filter.Limit, ct));
        });

        var prune = new Command("prune",
            "Delete events older than the retention period (Audit:RetentionDays) now; the service also does this hourly.");
        prune.SetAction(async (_, ct) =>
        {
            var retention = new AuditRetention(context.Get<AuditStore>(),
                context.Get<Microsoft.Extensions.Options.IOptions<AuditOptions>>(),
                context.Get<TimeProvider>(), Microsoft.Extensions.Logging.Abstractions.NullLogger<AuditRetention>.Instance);
            return await context.PrintJsonAsync(new { deleted = await retention.PruneOnceAsync(ct) });
        });

        return new Command("audit", "Read the audit trail of changes made through the management API, the CLI and the Console.") { list,
            prune };
    }
}
