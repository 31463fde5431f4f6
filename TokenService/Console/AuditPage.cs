using System.Text;
using TokenService.Audit;
using static TokenService.WebConsole.ConsoleHtml;

namespace TokenService.WebConsole;

/// <summary>The audit trail with the filters of GET /audit and `audit list`: since, target, action.</summary>
public static class AuditPage
{
    public const string Section = "/console/audit";

    public static void Map(RouteGroupBuilder pages) => pages.MapGet("/audit", ShowAsync);

    public static async Task<IResult> ShowAsync(HttpContext context, string? since, string? target, string? action, AuditStore store,
        CancellationToken ct)
    {
        var op = ConsoleGate.Operator(context);
        var (filter, error) = AuditFilter.Parse(since, target, action, null);
        var html = new StringBuilder(ErrorSummary(error?.Field, error?.Message))
            .Append("<form method=\"get\" action=\"/console/audit\" class=\"toolbar\" role=\"search\">")
            .Append(Field("since", "Since (UTC, ISO 8601)", since, error?.Field == "since" ? error.Value.Message : null,
                hint: "e.g. 2026-01-31T12:00:00Z"))
            .Append(Field("target", "Target", target, error?.Field == "target" ? error.Value.Message : null,
                hint: "client ID, username or key ID"))
            .Append(Field("action", "Action", action, error?.Field == "action" ? error.Value.Message : null,
                hint: "a prefix: application. or user.delete"))
            .Append("<button type=\"submit\" class=\"secondary\">Filter</button></form>");
        if (filter is null)
        {
            return Page(op, Section, "Audit trail", html.ToString(), StatusCodes.Status400BadRequest);
        }

        var events = await store.ListAsync(filter.Since, filter.Target, filter.Action, AuditStore.MaxListLimit, ct);
        if (events.Count == 0)
        {
            html.Append("<p class=\"empty\">No changes recorded")
                .Append(filter.Since is null && filter.Target is null && filter.Action is null ? " yet" : " match these filters")
                .Append(".</p>");
            return Page(op, Section, "Audit trail", html.ToString());
        }

        html.Append("<table><thead><tr><th scope=\"col\">When</th><th scope=\"col\">Who</th><th scope=\"col\">From</th><th " +
            "scope=\"col\">Action</th>")
            .Append("<th scope=\"col\">Target</th><th scope=\"col\">Details</th></tr></thead><tbody>");
        foreach (var e in events)
        {
            html.Append("<tr><td data-label=\"When\">").Append(Time(e.OccurredAt)).Append("</td><td data-label=\"Who\">")
                .Append(E(e.ActorKind)).Append(' ')
                .Append("<code>").Append(E(e.Actor)).Append("</code></td><td data-label=\"From\">").Append(E(e.Address))
                .Append("</td><td data-label=\"Action\">")
                .Append("<span class=\"chip\">").Append(E(e.Action)).Append("</span></td><td data-label=\"Target\">")
                .Append(E(e.TargetKind)).Append(" <code>")
                .Append(E(e.Target)).Append("</code></td><td data-label=\"Details\"><code>").Append(E(e.Details.GetRawText()))
                .Append("</code></td></tr>");
        }

        return Page(op, Section, "Audit trail", html.Append("</tbody></table>").ToString());
    }
}
