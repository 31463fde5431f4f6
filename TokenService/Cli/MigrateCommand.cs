using System.CommandLine;
using Npgsql;
using Shared.Database;

namespace TokenService.Cli;

/// <summary><c>migrate [--status]</c>: applies db/migrations (TokenService) then db/resource (owned by the ResourceApi).</summary>
public static class MigrateCommand
{
    public static Command Create(CliContext context)
    {
        var status = new Option<bool>("--status") { Description = "List applied and pending files; change nothing." };
        var command = new Command("migrate", "Apply pending database migrations (both services' schemas).") { status };
        command.SetAction(async (parse, ct) =>
        {
            // Direct: the migrator's session advisory lock must stay on the one server connection it took it on.
            var db = context.Services.GetRequiredKeyedService<NpgsqlDataSource>(Postgres.Direct);
            var sets = new[] { TokenServiceSetup.TokenMigrations(), ResourceApi.Data.ResourceSchemaMigrations.All() };
            foreach (var set in sets)
            {
                var migrator = new Migrator(db, set);
                if (parse.GetValue(status))
                {
                    foreach (var s in await migrator.StatusAsync(ct))
                    {
                        var when = s.AppliedAs is { } a ? $"applied {a.AppliedAt:yyyy-MM-dd HH:mm:ss}Z" : "pending";
                        await context.Out.WriteLineAsync($"{set.Name,-9} {s.File.Name,-40} {when}");
                    }

                    continue;
                }

                var applied = await migrator.MigrateAsync(ct);
                foreach (var file in applied)
                {
                    await context.Out.WriteLineAsync($"{set.Name,-9} applied {file.Name}");
                }

                if (applied.Count == 0)
                {
                    await context.Out.WriteLineAsync($"{set.Name,-9} up to date ({set.Files.Count} files)");
                }
            }

            return OpsCli.Ok;
        });
        return command;
    }
}
