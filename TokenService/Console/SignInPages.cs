using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.WebUtilities;
using TokenService.Authorize;
using TokenService.Users;
using static TokenService.WebConsole.ConsoleHtml;

namespace TokenService.WebConsole;

/// <summary>
/// Operator sign-in at /console/sign-in, with the login page's protections: antiforgery, the same per-username and
/// per-address throttle (LoginThrottle), the same password check (an unknown user costs the same Argon2 work) and
/// one message for unknown user and wrong password.
/// </summary>
public static class SignInPages
{
    public const string Path = "/console/sign-in";

    public static string PathFor(string returnUrl) => QueryHelpers.AddQueryString(Path, "returnUrl", returnUrl);

    public static void Map(RouteGroupBuilder console)
    {
        console.MapGet("/sign-in", Show);
        console.MapPost("/sign-in", SignInAsync);
        console.MapPost("/sign-out", SignOutAsync);
    }

    public static IResult Show(HttpContext context, string? returnUrl, IAntiforgery antiforgery) =>
        Form(context, antiforgery, returnUrl, username: null, message: null, StatusCodes.Status200OK);

    public static async Task<IResult> SignInAsync(HttpContext context, IAntiforgery antiforgery, LoginThrottle throttle,
        UserAccounts accounts, UserAccessStore access, ConsoleSessions sessions, CancellationToken ct)
    {
        if (await ConsoleGate.CheckFormAsync(context, antiforgery) is { } refused)
        {
            return refused;
        }

        var form = context.Request.Form;
        var username = form["username"] is [{ } u] ? u.Trim() : "";
        var password = form["password"] is [{ } p] ? p : "";
        var returnUrl = form["returnUrl"] is [{ } r] ? r : null;
        var address = context.Connection.RemoteIpAddress;
        // Counted before the hash, like the login page: a concurrent burst cannot reach Argon2 past the limit.
        var (attempt, wait) = throttle.TryBegin(username, address);
        if (attempt is null)
        {
            context.Response.Headers.RetryAfter = wait.GetValueOrDefault().ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Form(context, antiforgery, returnUrl, username, $"Too many failed sign-in attempts. Try again in {wait} seconds.",
                StatusCodes.Status429TooManyRequests);
        }

        var user = username.Length == 0 || password.Length == 0 ? null : await accounts.CheckPasswordAsync(username, password, ct);
        if (user is null)
        {
            return Form(context, antiforgery, returnUrl, username, LoginPage.InvalidCredentials, StatusCodes.Status200OK);
        }

        throttle.Succeeded(attempt.Value);

        var roles = (await access.GetAsync(user.Id, ct)).Roles;
        if (!roles.Contains(ConsoleRoles.Admin) && !roles.Contains(ConsoleRoles.Viewer))
        {
            return ConsoleGate.NoRole(user.Username);
        }

        sessions.Start(context, user);
        return TypedResults.Redirect(SafeReturnUrl(returnUrl));
    }

    /// <summary>
    /// Ends this session for every instance (a copy of the cookie is refused from now on), then clears the cookie. Not
    /// the user's session version: that would sign out every session of the user and revoke their OAuth grants.
    /// </summary>
    public static async Task<IResult> SignOutAsync(HttpContext context, IAntiforgery antiforgery, ConsoleSessions sessions,
        EndedConsoleSessions ended, CancellationToken ct)
    {
        if (await ConsoleGate.CheckFormAsync(context, antiforgery) is { } refused)
        {
            return refused;
        }

        if (sessions.Read(context.Request) is { } session)
        {
            await ended.EndAsync(session, ct);
        }

        ConsoleSessions.End(context);
        return TypedResults.Redirect(Path);
    }

    /// <summary>
    /// Only a path inside the Console, else <c>/console</c>: never another site (open redirect), a protocol-relative
    /// //host, a backslash (browsers read it as a slash), a control character, nor a dot segment (<c>..</c>, <c>.</c>,
    /// percent-encoded or not), which the browser resolves before it asks: <c>/console/../oauth2/authorize</c> is
    /// <c>/oauth2/authorize</c>.
    /// </summary>
    public static string SafeReturnUrl(string? returnUrl) =>
        returnUrl is { Length: < 2000 } url && (url == "/console" || url.StartsWith("/console/", StringComparison.Ordinal)) &&
        !url.Contains("//", StringComparison.Ordinal) && !url.Contains('\\', StringComparison.Ordinal) && !url.Any(char.IsControl) &&
        !HasDotSegment(url)
            ? url
            : "/console";

    private static bool HasDotSegment(string url) =>
        url[..(url.IndexOfAny(['?', '#']) is >= 0 and var end ? end : url.Length)].Split('/')
            .Any(segment => segment.Replace("%2e", ".", StringComparison.OrdinalIgnoreCase) is "." or "..");

    private static ConsolePage Form(HttpContext context, IAntiforgery antiforgery, string? returnUrl, string? username, string? message,
        int status)
    {
        var error = message is null ? "" : $"<p class=\"error\" role=\"alert\" id=\"signin-error\">{E(message)}</p>";
        var body = $"<p>Operators with a Console role sign in here.</p>{error}<form method=\"post\" action=\"{Path}\">" +
                   ConsoleGate.AntiforgeryField(context, antiforgery) +
                   $"<input type=\"hidden\" name=\"returnUrl\" value=\"{E(SafeReturnUrl(returnUrl))}\">" +
                   Field("username", "Username", username, null, extra: " autocomplete=\"username\" required autofocus") +
                   Field("password", "Password", null, null, "password", " autocomplete=\"current-password\" required") +
                   "<button type=\"submit\">Sign in</button></form>";
        return Bare("Sign in to the Console", body, status);
    }
}
