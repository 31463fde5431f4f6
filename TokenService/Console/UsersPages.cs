using System.Text;
using TokenService.Token;
using TokenService.Users;
using static TokenService.WebConsole.ConsoleHtml;

namespace TokenService.WebConsole;

/// <summary>
/// The Users pages: list, create, roles, tenant memberships, password reset, delete behind a confirmation.
/// Accounts change through <see cref="UserAccounts"/> (as the CLI); roles and tenants too (<see cref="UserAccounts.ChangeAccessAsync"/>).
/// </summary>
public static class UsersPages
{
    public const string Section = "/console/users";

    public static void Map(RouteGroupBuilder pages)
    {
        pages.MapGet("/users", ListAsync);
        pages.MapGet("/users/new", (HttpContext context) => CreateForm(ConsoleGate.Operator(context), "", "", "", null));
        pages.MapPost("/users", CreateAsync);
        pages.MapGet("/users/{username}", ShowAsync);
        pages.MapPost("/users/{username}/roles", SetRoleAsync);
        pages.MapPost("/users/{username}/tenants", SetTenantAsync);
        pages.MapPost("/users/{username}/password", ResetPasswordAsync);
        pages.MapGet("/users/{username}/delete", ConfirmDeleteAsync);
        pages.MapPost("/users/{username}/delete", DeleteAsync);
    }

    public static async Task<IResult> ListAsync(HttpContext context, string? q, string? deleted, ConsoleUserStore users,
        CancellationToken ct)
    {
        var op = ConsoleGate.Operator(context);
        var search = q?.Trim() ?? "";
        var rows = await users.ListAsync(search.Length == 0 ? null : search, ct);
        var html = new StringBuilder();
        if (deleted is { Length: > 0 and <= UserAccounts.MaxUsernameLength })
        {
            html.Append("<p class=\"notice\" role=\"status\">Deleted ").Append(E(deleted))
                .Append(". Their sessions and refresh tokens no longer work.</p>");
        }

        html.Append("<form method=\"get\" action=\"/console/users\" class=\"toolbar\" role=\"search\">")
            .Append(Field("q", "Search by username or email", search, null, "search"))
            .Append("<button type=\"submit\" class=\"secondary\">Search</button>")
            .Append(op.IsAdmin ? "<a class=\"button\" href=\"/console/users/new\">Create user</a>" : "").Append("</form>");
        if (rows.Count == 0)
        {
            html.Append("<p class=\"empty\">").Append(search.Length == 0 ? "No users yet." : $"No user matches “{E(search)}”.")
                .Append("</p>");
            return Page(op, Section, "Users", html.ToString());
        }

        html.Append("<table><thead><tr><th scope=\"col\">Username</th><th scope=\"col\">Email</th><th scope=\"col\">Roles</th>")
            .Append("<th scope=\"col\">Tenants</th><th scope=\"col\">Created</th></tr></thead><tbody>");
        foreach (var u in rows)
        {
            html.Append("<tr><td data-label=\"Username\"><a href=\"/console/users/").Append(Uri.EscapeDataString(u.Username)).Append("\">")
                .Append(E(u.Username))
                .Append("</a></td><td data-label=\"Email\">").Append(E(u.Email)).Append("</td><td data-label=\"Roles\">")
                .Append(Chips(u.Roles))
                .Append("</td><td data-label=\"Tenants\">").Append(Chips(u.Tenants)).Append("</td><td data-label=\"Created\">")
                .Append(Time(u.CreatedAt))
                .Append("</td></tr>");
        }

        return Page(op, Section, "Users", html.Append("</tbody></table>").ToString());
    }

    public static async Task<IResult> CreateAsync(HttpContext context, UserAccounts accounts, CancellationToken ct)
    {
        var op = ConsoleGate.Operator(context);
        var form = context.Request.Form;
        var (username, email, name) = (form["username"].ToString(), form["email"].ToString(), form["name"].ToString());
        var (created, error) = await accounts.CreateAsync(username, form["password"].ToString(), email, name, form["emailVerified"] == "on",
            ct);
        return created is null
            ? CreateForm(op, username, email, name, error, StatusCodes.Status400BadRequest)
            : TypedResults.Redirect("/console/users/" + Uri.EscapeDataString(created.Username) + "?notice=created");
    }

    public static async Task<IResult> ShowAsync(HttpContext context, string username, string? notice, UserStore users,
        ConsoleUserStore consoleUsers,
        CancellationToken ct)
    {
        var op = ConsoleGate.Operator(context);
        var message = notice switch { "created" => "User created.", "role" => "Roles changed.", "tenant" => "Tenants changed.", _ => null };
        return await DetailAsync(op, username, users, consoleUsers, message, null, ct);
    }

    /// <summary>A set a user belongs to (roles, tenants): its form field and the verb that takes a value away.</summary>
    private sealed record Membership(UserAccessKind Kind, string Field, string RemoveVerb);

    private static readonly Membership Roles = new(UserAccessKind.Role, "role", "revoke");

    private static readonly Membership Tenants = new(UserAccessKind.Tenant, "tenant", "remove");

    public static Task<IResult> SetRoleAsync(HttpContext context, string username, UserStore users, ConsoleUserStore consoleUsers,
        UserAccounts accounts, CancellationToken ct) => ChangeMembershipAsync(Roles, context, username, users, consoleUsers, accounts, ct);

    public static Task<IResult> SetTenantAsync(HttpContext context, string username, UserStore users, ConsoleUserStore consoleUsers,
        UserAccounts accounts, CancellationToken ct) =>
        ChangeMembershipAsync(Tenants, context, username, users, consoleUsers, accounts, ct);

    /// <summary>The same change as <c>users grant-role</c> and the management API: one check, one store, one audit row.</summary>
    private static async Task<IResult> ChangeMembershipAsync(Membership membership, HttpContext context, string username, UserStore users,
        ConsoleUserStore consoleUsers, UserAccounts accounts, CancellationToken ct)
    {
        var op = ConsoleGate.Operator(context);
        var value = context.Request.Form[membership.Field].ToString().Trim();
        var add = context.Request.Form["action"] != membership.RemoveVerb;
        var (user, error) = await accounts.ChangeAccessAsync(membership.Kind, username, value, add, ct);
        if (error is not null)
        {
            return await DetailAsync(op, username, users, consoleUsers, null, (membership.Field, error.Message, value), ct,
                StatusCodes.Status400BadRequest);
        }

        return user is null
            ? Gone(op, username)
            : TypedResults.Redirect($"/console/users/{Uri.EscapeDataString(user.Username)}?notice={membership.Field}");
    }

    public static async Task<IResult> ResetPasswordAsync(HttpContext context, string username, UserAccounts accounts, UserStore users,
        ConsoleUserStore consoleUsers, CancellationToken ct)
    {
        var op = ConsoleGate.Operator(context);
        var (found, error) = await accounts.SetPasswordAsync(username, context.Request.Form["password"].ToString(), ct);
        if (error is not null)
        {
            return await DetailAsync(op, username, users, consoleUsers, null, (error.Field, error.Message, ""), ct,
                StatusCodes.Status400BadRequest);
        }

        return found
            ? await DetailAsync(op, username, users, consoleUsers, "Password changed; the user's sessions have ended.", null, ct)
            : Gone(op, username);
    }

    public static async Task<IResult> ConfirmDeleteAsync(HttpContext context, string username, UserStore users, CancellationToken ct)
    {
        var op = ConsoleGate.Operator(context);
        return await users.FindByUsernameAsync(username, ct) is { } user
            ? DeleteForm(op, user.Username, "", null)
            : Gone(op, username, StatusCodes.Status404NotFound);
    }

    public static async Task<IResult> DeleteAsync(HttpContext context, string username, UserStore users, UserAccounts accounts,
        CancellationToken ct)
    {
        var op = ConsoleGate.Operator(context);
        if (await users.FindByUsernameAsync(username, ct) is not { } user)
        {
            return Gone(op, username);
        }

        var typed = context.Request.Form["confirmName"].ToString();
        if (!string.Equals(typed.Trim(), user.Username, StringComparison.Ordinal))
        {
            return DeleteForm(op, user.Username, typed, $"type the username “{user.Username}” exactly to delete it");
        }

        return await accounts.DeleteAsync(user.Username, ct)
            ? TypedResults.Redirect("/console/users?deleted=" + Uri.EscapeDataString(user.Username))
            : Gone(op, username);
    }

    private static async Task<IResult> DetailAsync(ConsoleOperator op, string username, UserStore users, ConsoleUserStore consoleUsers,
        string? notice,
        (string Field, string Message, string Typed)? error, CancellationToken ct, int status = StatusCodes.Status200OK)
    {
        if (await users.FindByUsernameAsync(username, ct) is not { } user)
        {
            return Gone(op, username, StatusCodes.Status404NotFound);
        }

        var row = (await consoleUsers.ListAsync(user.Username, ct)).First(r => r.Id == user.Id);
        var path = "/console/users/" + Uri.EscapeDataString(user.Username);
        var html = new StringBuilder();
        if (notice is not null)
        {
            html.Append("<p class=\"notice\" role=\"status\">").Append(E(notice)).Append("</p>");
        }

        html.Append(ErrorSummary(error?.Field, error?.Message))
            .Append("<div class=\"card\"><dl><dt>Username</dt><dd>").Append(E(user.Username)).Append("</dd><dt>Email</dt><dd>")
            .Append(E(user.Email))
            .Append(user.EmailVerified ? " (verified)" : "").Append("</dd><dt>Name</dt><dd>").Append(E(user.Name))
            .Append("</dd><dt>Created</dt><dd>")
            .Append(Time(user.CreatedAt)).Append("</dd></dl></div>");
        string? ErrorFor(string field) => error?.Field == field ? error.Value.Message : null;
        string TypedFor(string field) => error?.Field == field ? error.Value.Typed : "";
        html.Append("<h2>Roles</h2>").Append(Memberships(op, path + "/roles", "role", row.Roles, "revoke", "Revoke"));
        if (op.IsAdmin)
        {
            html.Append("<form method=\"post\" action=\"").Append(path).Append("/roles\" class=\"card\">").Append(op.AntiforgeryField)
                .Append(Field("role", "Grant a role", TypedFor("role"), ErrorFor("role"),
                    extra: " list=\"known-roles\" autocomplete=\"off\"",
                    hint: $"{ConsoleRoles.Admin} may change everything here; {ConsoleRoles.Viewer} may only look."))
                .Append("<datalist id=\"known-roles\"><option value=\"").Append(ConsoleRoles.Admin).Append("\"><option value=\"")
                .Append(ConsoleRoles.Viewer)
                .Append("\"></datalist><button type=\"submit\" name=\"action\" value=\"grant\">Grant role</button></form>");
        }

        html.Append("<h2>Tenant memberships</h2>").Append(Memberships(op, path + "/tenants", "tenant", row.Tenants, "remove", "Remove"));
        if (op.IsAdmin)
        {
            html.Append("<form method=\"post\" action=\"").Append(path).Append("/tenants\" class=\"card\">").Append(op.AntiforgeryField)
                .Append(Field("tenant", "Add a tenant", TypedFor("tenant"), ErrorFor("tenant"), extra: " autocomplete=\"off\""))
                .Append("<button type=\"submit\" name=\"action\" value=\"add\">Add tenant</button></form>")
                .Append("<h2>Reset password</h2><form method=\"post\" action=\"").Append(path).Append("/password\" class=\"card\">")
                .Append(op.AntiforgeryField)
                .Append(Field("password", "New password", "", ErrorFor("password"), "password", " autocomplete=\"new-password\"",
                    $"{UserAccounts.MinPasswordLength} to {UserAccounts.MaxPasswordLength} characters. The user's sessions end."))
                .Append("<button type=\"submit\">Set password</button></form>")
                .Append("<h2>Delete</h2><p><a class=\"button danger\" href=\"").Append(path).Append("/delete\">Delete ")
                .Append(E(user.Username)).Append("…</a></p>");
        }

        return Page(op, Section, user.Username, html.ToString(), status);
    }

    /// <summary>The current set, each with a remove button for admins (a form per item: no script needed).</summary>
    private static string Memberships(ConsoleOperator op, string action, string field, string[] values, string verb, string label)
    {
        if (values.Length == 0)
        {
            return "<p class=\"empty\">None.</p>";
        }

        var html = new StringBuilder("<ul class=\"card\">");
        foreach (var value in values)
        {
            html.Append("<li><span class=\"chip\">").Append(E(value)).Append("</span>");
            if (op.IsAdmin)
            {
                html.Append(" <form method=\"post\" action=\"").Append(action).Append("\" class=\"inline\">").Append(op.AntiforgeryField)
                    .Append("<input type=\"hidden\" name=\"").Append(field).Append("\" value=\"").Append(E(value)).Append("\">")
                    .Append("<button type=\"submit\" class=\"link\" name=\"action\" value=\"").Append(verb).Append("\">").Append(label)
                    .Append("<span class=\"visually-hidden\"> ").Append(E(value)).Append("</span></button></form>");
            }

            html.Append("</li>");
        }

        return html.Append("</ul>").ToString();
    }

    private static ConsolePage CreateForm(ConsoleOperator op, string username, string email, string name, ValidationError? error,
        int status = StatusCodes.Status200OK)
    {
        string? ErrorFor(string field) => error?.Field == field ? error.Message : null;
        return Page(op, Section, "Create user", ErrorSummary(error?.Field, error?.Message) +
            $"<form method=\"post\" action=\"/console/users\" class=\"card\">{op.AntiforgeryField}" +
            Field("username", "Username", username, ErrorFor("username"), extra: " required autocomplete=\"off\"") +
            Field("email", "Email", email, ErrorFor("email"), "email", " autocomplete=\"off\"") +
            Field("name", "Full name", name, ErrorFor("name"), extra: " autocomplete=\"off\"") +
            "<div class=\"field\"><input type=\"checkbox\" id=\"emailVerified\" name=\"emailVerified\"> <label for=\"emailVerified\" " +
            "class=\"inline\">Email verified</label></div>" +
            Field("password", "Password", "", ErrorFor("password"), "password", " required autocomplete=\"new-password\"",
                $"{UserAccounts.MinPasswordLength} to {UserAccounts.MaxPasswordLength} characters. Never shown again, and not kept if " +
                "the form has an error.") +
            "<button type=\"submit\">Create user</button> <a href=\"/console/users\">Cancel</a></form>", status);
    }

    private static ConsolePage DeleteForm(ConsoleOperator op, string username, string typed, string? error)
    {
        var path = "/console/users/" + Uri.EscapeDataString(username);
        return Page(op, Section, $"Delete {username}?", ErrorSummary("confirmName", error) +
            $"<form method=\"post\" action=\"{path}/delete\" class=\"card\">{op.AntiforgeryField}" +
            $"<p>Deleting <strong>{E(username)}</strong> cannot be undone: their sessions, codes and refresh tokens stop working.</p>" +
            Field("confirmName", $"Type {username} to confirm", typed, error, extra: " autocomplete=\"off\" required") +
            $"<button type=\"submit\" class=\"danger\">Delete {E(username)}</button> <a href=\"{path}\">Cancel</a></form>",
            error is null ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest);
    }

    private static ConsolePage Gone(ConsoleOperator op, string username, int status = StatusCodes.Status409Conflict) =>
        Message(op, "User no longer exists",
            $"There is no user named {Token.OAuthError.Truncate(username)} (any more). Nothing was changed.", status);
}
