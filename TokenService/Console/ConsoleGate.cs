using Microsoft.AspNetCore.Antiforgery;
using Shared.Audit;
using TokenService.Audit;
using TokenService.Users;

namespace TokenService.WebConsole;

/// <summary>
/// In front of every Console page but sign-in: a live session (within its limits, not ended by sign-out) of a user who
/// still exists under the same password version and holds a Console role (else sign-in, or a 403 page); on a POST, a
/// well-formed form, a valid antiforgery token and the console-admin role. The operator is then named for the page and for the audit trail.
/// </summary>
public static class ConsoleGate
{
    private const string OperatorKey = "TokenService.Console.Operator";

    public static ConsoleOperator Operator(HttpContext context) => (ConsoleOperator)context.Items[OperatorKey]!;

    public static async ValueTask<object?> FilterAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        var services = context.RequestServices;
        var sessions = services.GetRequiredService<ConsoleSessions>();
        var session = sessions.Read(context.Request);
        if (session is not null &&
            await services.GetRequiredService<EndedConsoleSessions>().IsEndedAsync(session.Id, context.RequestAborted))
        {
            session = null;
        }

        var user = session is null
            ? null
            : await services.GetRequiredService<UserStore>().FindByIdAsync(session.UserId, context.RequestAborted);
        if (session is null || user is null || user.SessionVersion != session.SessionVersion)
        {
            ConsoleSessions.End(context);
            return HttpMethods.IsGet(context.Request.Method)
                ? TypedResults.Redirect(SignInPages.PathFor(context.Request.Path + context.Request.QueryString))
                : ConsoleHtml.Bare("Session ended",
                    "<p class=\"error\" role=\"alert\">Your Console session ended, so nothing was changed.</p>" +
                                                    "<p><a href=\"/console/sign-in\">Sign in again</a></p>",
                                                        StatusCodes.Status401Unauthorized);
        }

        var antiforgery = services.GetRequiredService<IAntiforgery>();
        var roles = (await services.GetRequiredService<UserAccessStore>().GetAsync(user.Id, context.RequestAborted)).Roles;
        if (HttpMethods.IsPost(context.Request.Method) && await CheckFormAsync(context, antiforgery) is { } refused)
        {
            return refused;
        }

        var op = new ConsoleOperator(user, roles, AntiforgeryField(context, antiforgery));
        if (!op.CanView)
        {
            return NoRole(user.Username);
        }

        if (HttpMethods.IsPost(context.Request.Method) && !op.IsAdmin
            && context.GetEndpoint()?.Metadata.GetMetadata<ReadOnlyAction>() is null)
        {
            return ConsoleHtml.Message(op, "Read-only access", "Your role console-viewer lets you look, not change. Nothing was changed.",
                StatusCodes.Status403Forbidden);
        }

        sessions.Touch(context, session);
        context.Items[OperatorKey] = op;
        context.Items[AuditActor.ItemKey] = new AuditActor(AuditActor.User, user.Id.ToString(),
            context.Connection.RemoteIpAddress?.ToString() ?? "");
        return await next(invocation);
    }

    /// <summary>Marks a POST that changes nothing (the token inspector), so a console-viewer may use it.</summary>
    public sealed class ReadOnlyAction;

    /// <summary>The 403 page of a user who signed in correctly but holds no Console role: it says what to ask for.</summary>
    public static ConsolePage NoRole(string username) => ConsoleHtml.Bare("No access to the Console",
        $"<p class=\"error\" role=\"alert\">{ConsoleHtml.E(username)} has no Console role.</p>" +
        $"<p>An administrator can grant one: <code>TokenService users grant-role {ConsoleHtml.E(username)} {ConsoleRoles.Viewer}</code> " +
        $"(read-only) or <code>{ConsoleRoles.Admin}</code>.</p><p><a href=\"/console/sign-in\">Sign in as someone else</a></p>",
        StatusCodes.Status403Forbidden);

    /// <summary>A form post that is not one, or lacks a valid antiforgery token, changes nothing.</summary>
    public static async Task<ConsolePage?> CheckFormAsync(HttpContext context, IAntiforgery antiforgery)
    {
        if (!context.Request.HasFormContentType)
        {
            return ConsoleHtml.Bare("Bad request", "<p class=\"error\" role=\"alert\">Expected a form post.</p>",
                StatusCodes.Status400BadRequest);
        }

        try
        {
            await context.Request.ReadFormAsync(context.RequestAborted);
        }
        catch (Exception e) when (e is InvalidDataException or BadHttpRequestException)
        {
            return ConsoleHtml.Bare("Bad request", "<p class=\"error\" role=\"alert\">The form could not be read.</p>",
                StatusCodes.Status400BadRequest);
        }

        return await antiforgery.IsRequestValidAsync(context) ? null : ConsoleHtml.Bare("Form expired",
            "<p class=\"error\" role=\"alert\">This form expired or did not come from the Console, so nothing was changed. Go back, " +
            "reload and try again.</p>",
            StatusCodes.Status400BadRequest);
    }

    public static string AntiforgeryField(HttpContext context, IAntiforgery antiforgery)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        return $"<input type=\"hidden\" name=\"{ConsoleHtml.E(tokens.FormFieldName)}\" value=\"{ConsoleHtml.E(tokens.RequestToken)}\">";
    }
}
