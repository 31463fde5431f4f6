using System.CommandLine;
using TokenService.Users;

namespace TokenService.Cli;

/// <summary>
/// <c>users create|list|show|delete|set-password|sign-out|grant-role|revoke-role|add-tenant|remove-tenant</c>. The
/// password comes from --password or, better (it stays out of shell history and the process list), from the first
/// line of stdin with --password-stdin. It is never printed. Roles and tenants: see Users/Roles.cs and docs/users.md.
/// </summary>
public static class UsersCommand
{
    public static Command Create(CliContext context, TextReader stdin)
    {
        var username = new Option<string>("--username") { Description = "Unique, case-insensitive login name.", Required = true };
        var email = new Option<string>("--email") { Description = "Email address (the email claim)." };
        var emailVerified = new Option<bool>("--email-verified") { Description = "Mark the email address as verified." };
        var name = new Option<string>("--name") { Description = "Full name (the name claim)." };
        var (password, passwordStdin) = PasswordOptions();
        var create = new Command("create", "Create a user; prints it as JSON (never the password).")
        {
            username, email, emailVerified, name, password, passwordStdin,
        };
        create.SetAction(async (parse, ct) =>
        {
            var (secret, problem) = await ReadPasswordAsync(parse, password, passwordStdin, stdin);
            if (problem is not null)
            {
                return await context.FailAsync(OpsCli.Usage, problem);
            }

            var (created, error) = await context.Get<UserAccounts>().CreateAsync(parse.GetValue(username), secret,
                parse.GetValue(email), parse.GetValue(name), parse.GetValue(emailVerified), ct);
            return error is not null
                ? await context.FailAsync(OpsCli.Usage, $"{error.Field}: {error.Message}")
                : await context.PrintJsonAsync(created);
        });

        var usernameForDelete = new Argument<string>("username") { Description = "The user's username." };
        var delete = new Command("delete", "Delete a user: their sessions, codes and refresh tokens stop working.") { usernameForDelete };
        delete.SetAction(async (parse, ct) =>
        {
            var user = parse.GetValue(usernameForDelete)!;
            return await context.Get<UserAccounts>().DeleteAsync(user, ct)
                ? await context.PrintJsonAsync(new { deleted = user })
                : await context.FailAsync(OpsCli.NotFound, $"no user named '{user}'");
        });

        var usernameForPassword = new Argument<string>("username") { Description = "The user's username." };
        var (newPassword, newPasswordStdin) = PasswordOptions();
        var setPassword = new Command("set-password", "Replace a user's password; existing login sessions end.")
        {
            usernameForPassword, newPassword, newPasswordStdin,
        };
        setPassword.SetAction(async (parse, ct) =>
        {
            var (secret, problem) = await ReadPasswordAsync(parse, newPassword, newPasswordStdin, stdin);
            if (problem is not null)
            {
                return await context.FailAsync(OpsCli.Usage, problem);
            }

            var user = parse.GetValue(usernameForPassword)!;
            var (found, error) = await context.Get<UserAccounts>().SetPasswordAsync(user, secret, ct);
            return error is not null ? await context.FailAsync(OpsCli.Usage, $"{error.Field}: {error.Message}")
                : found ? await context.PrintJsonAsync(new { passwordChanged = user })
                : await context.FailAsync(OpsCli.NotFound, $"no user named '{user}'");
        });

        var list = new Command("list", "List users as JSON, with their roles and tenants.");
        list.SetAction(async (_, ct) => await context.PrintJsonAsync(await context.Get<UserAccounts>().ListAsync(ct)));

        var usernameForShow = new Argument<string>("username") { Description = "The user's username." };
        var show = new Command("show", "Show one user as JSON, with roles and tenants.") { usernameForShow };
        show.SetAction(async (parse, ct) =>
        {
            var user = parse.GetValue(usernameForShow)!;
            return await context.Get<UserAccounts>().FindAsync(user, ct) is { } found
                ? await context.PrintJsonAsync(found)
                : await context.FailAsync(OpsCli.NotFound, $"no user named '{user}'");
        });

        var usernameForSignOut = new Argument<string>("username") { Description = "The user's username." };
        var signOut = new Command("sign-out",
            "Sign a user out everywhere: sessions end, refresh and access tokens are revoked.") { usernameForSignOut };
        signOut.SetAction(async (parse, ct) =>
        {
            var user = parse.GetValue(usernameForSignOut)!;
            return await context.Get<UserAccounts>().SignOutEverywhereAsync(user, ct)
                ? await context.PrintJsonAsync(new { signedOut = user })
                : await context.FailAsync(OpsCli.NotFound, $"no user named '{user}'");
        });

        return new Command("users", "Manage users who sign in.")
        {
            create, list, show, delete, setPassword, signOut,
            Access(context, "grant-role", "role", UserAccessKind.Role, add: true,
                $"Give a user a role ({string.Join(", ", Roles.ScopesByRole.Keys)})."),
            Access(context, "revoke-role", "role", UserAccessKind.Role, add: false,
                "Take a role away; the user's grants lose its scopes at their next refresh."),
            Access(context, "add-tenant", "tenant", UserAccessKind.Tenant, add: true, "Make a user a member of a tenant."),
            Access(context, "remove-tenant", "tenant", UserAccessKind.Tenant, add: false,
                "End a tenant membership; grants for that tenant fail at their next refresh."),
        };
    }

    /// <summary>One of the four role/tenant commands: USERNAME VALUE, prints the user after the change.</summary>
    private static Command Access(CliContext context, string name, string what, UserAccessKind kind, bool add, string description)
    {
        var username = new Argument<string>("username") { Description = "The user's username." };
        var value = new Argument<string>(what) { Description = kind == UserAccessKind.Role ? "The role." : "The tenant ID." };
        var command = new Command(name, description) { username, value };
        command.SetAction(async (parse, ct) =>
        {
            var user = parse.GetValue(username)!;
            var (changed, error) = await context.Get<UserAccounts>().ChangeAccessAsync(kind, user, parse.GetValue(value)!, add, ct);
            return error is not null ? await context.FailAsync(OpsCli.Usage, $"{error.Field}: {error.Message}")
                : changed is not null ? await context.PrintJsonAsync(changed)
                : await context.FailAsync(OpsCli.NotFound, $"no user named '{user}'");
        });
        return command;
    }

    private static (Option<string> Password, Option<bool> Stdin) PasswordOptions() =>
        (new Option<string>("--password") { Description = "The password (prefer --password-stdin: arguments are visible to other users)." },
         new Option<bool>("--password-stdin") { Description = "Read the password from the first line of stdin." });

    private static async Task<(string? Password, string? Problem)> ReadPasswordAsync(
        ParseResult parse, Option<string> password, Option<bool> fromStdin, TextReader stdin)
    {
        var given = parse.GetValue(password);
        if (parse.GetValue(fromStdin))
        {
            if (given is not null)
            {
                return (null, "use one of --password and --password-stdin, not both");
            }

            var line = await stdin.ReadLineAsync();
            return string.IsNullOrEmpty(line) ? (null, "--password-stdin: stdin had no password line") : (line, null);
        }

        return given is null ? (null, "a password is required: --password-stdin (recommended) or --password") : (given, null);
    }
}
