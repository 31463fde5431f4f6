using System.CommandLine;
using TokenService.Users;

namespace TokenService.Cli;

/// <summary>
/// <c>users create|delete|set-password</c>. The password comes from --password or, better (it stays out of shell
/// history and the process list), from the first line of stdin with --password-stdin. It is never printed.
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
            return error is not null ? await context.FailAsync(OpsCli.Usage, $"{error.Field}: {error.Message}") : await context.PrintJsonAsync(created);
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

        return new Command("users", "Manage users who sign in.") { create, delete, setPassword };
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
