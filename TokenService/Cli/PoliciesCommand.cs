using System.CommandLine;
using Npgsql;
using Shared.Audit;
using ResourceApi.Data;

namespace TokenService.Cli;

/// <summary>
/// <c>policies create|list|assign|unassign|delete|access-control</c>: the ResourceApi's Access Policies (issue 15),
/// through the same rules as its GraphQL mutations (<see cref="AccessPolicyOperations"/>). Changes are enforced at once
/// by PostgreSQL's row-level security; a running ResourceApi's catalog cache sees them within its TTL (1 s by default).
/// </summary>
public static class PoliciesCommand
{
    public static Command Create(CliContext context)
    {
        var name = new Argument<string>("name") { Description = "The policy's unique name (or ID)." };
        var pool = new Option<string>("--data-pool") { Description = "The Data Pool's unique name or ID.", Required = true };
        var columns = new Option<string>("--columns") { Description = "Allowed columns, comma-separated, or *.", Required = true };
        var rows = new Option<string[]>("--row")
        {
            Description = "A row rule 'COLUMN OPERATOR VALUE' (VALUE a literal or ${{ name }}); repeat for more (all must hold).",
            AllowMultipleArgumentsPerToken = false,
        };
        var description = new Option<string?>("--description") { Description = "What the policy is for." };
        var create = new Command("create", "Create an Access Policy for a Data Pool; prints it as JSON.")
        {
            name, pool, columns, rows, description,
        };
        create.SetAction(async (parse, ct) =>
        {
            var rules = new List<AccessPolicyRowView>();
            foreach (var (row, i) in (parse.GetValue(rows) ?? []).Select((r, i) => (r, i)))
            {
                if (AccessPolicyRowView.Parse(row) is not { } rule)
                {
                    return await context.FailAsync(OpsCli.Usage,
                        $"--row {i + 1}: write 'COLUMN OPERATOR VALUE', e.g. 'tenant EQUALS ${{{{ tenant }}}}'");
                }

                rules.Add(rule);
            }

            var allowed = parse.GetValue(columns)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var (policy, error) = await Operations(context).CreateAsync(parse.GetValue(name)!, parse.GetValue(description),
                parse.GetValue(pool)!, allowed, rules, ct);
            return error is null ? await context.PrintJsonAsync(policy) : await context.FailAsync(OpsCli.Usage, error);
        });

        var listPool = new Option<string?>("--data-pool") { Description = "Only this Data Pool's policies." };
        var list = new Command("list", "List Access Policies as JSON.") { listPool };
        list.SetAction(async (parse, ct) =>
        {
            var (policies, error) = await Operations(context).ListAsync(parse.GetValue(listPool), ct);
            return error is null ? await context.PrintJsonAsync(policies) : await context.FailAsync(OpsCli.Usage, error);
        });

        var delete = new Command("delete", "Delete an Access Policy and its assignments.") { name };
        delete.SetAction(async (parse, ct) =>
        {
            var (id, error) = await Operations(context).DeleteAsync(parse.GetValue(name)!, ct);
            return error is not null ? await context.FailAsync(OpsCli.Usage, error)
                : id is null ? await context.FailAsync(OpsCli.NotFound, $"no Access Policy named '{parse.GetValue(name)}'")
                : await context.PrintJsonAsync(new { id });
        });

        var enabled = new Argument<string>("on|off") { Description = "on: applications query the pool only through their policy." };
        var poolName = new Argument<string>("data-pool") { Description = "The Data Pool's unique name or ID." };
        var accessControl = new Command("access-control", "Turn a Data Pool's Access Control on or off.") { poolName, enabled };
        accessControl.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(enabled) is not ("on" or "off"))
            {
                return await context.FailAsync(OpsCli.Usage, "access-control: say on or off");
            }

            var (state, error) = await Operations(context)
                .SetAccessControlAsync(parse.GetValue(poolName)!, parse.GetValue(enabled) == "on", ct);
            return error is null
                ? await context.PrintJsonAsync(new { accessControlEnabled = state })
                : await context.FailAsync(OpsCli.Usage, error);
        });

        return new Command("policies", "Manage the ResourceApi's Access Policies.")
        {
            create, list, Assignment(context, name, assign: true), Assignment(context, name, assign: false), delete, accessControl,
        };
    }

    private static Command Assignment(CliContext context, Argument<string> name, bool assign)
    {
        var applications = new Argument<string[]>("client-id") { Description = "Application client IDs.", Arity = ArgumentArity.OneOrMore };
        var command = new Command(assign ? "assign" : "unassign",
            assign ? "Assign the policy to applications (one policy per application and Data Pool)."
                : "Remove the policy from applications.")
        {
            name, applications,
        };
        command.SetAction(async (parse, ct) =>
        {
            var (policy, error) = await Operations(context).AssignAsync(parse.GetValue(name)!, parse.GetValue(applications)!, assign, ct);
            return error is null ? await context.PrintJsonAsync(policy) : await context.FailAsync(OpsCli.Usage, error);
        });
        return command;
    }

    private static AccessPolicyOperations Operations(CliContext context) =>
        new(context.Get<NpgsqlDataSource>(), context.Get<TimeProvider>(), AuditActor.CommandLine);
}
