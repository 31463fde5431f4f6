using System.Text;
using Npgsql;
using ResourceApi.Data;
using TokenService.Audit;
using static TokenService.WebConsole.ConsoleHtml;
using ApplicationService = TokenService.Applications.Applications;

namespace TokenService.WebConsole;

/// <summary>
/// Access Policies (issue 16 point 3): per Data Pool, Access Control on or off, its policies, create, assign to
/// applications, unassign, delete behind a confirmation naming the policy. Every change goes through
/// <see cref="AccessPolicyOperations"/>, the code behind `TokenService policies` (and the rules of the GraphQL mutations),
/// and is written to the audit trail in the change's own transaction with the operator as the actor.
/// </summary>
public static class PoliciesPages
{
    public const string Section = "/console/policies";

    public static void Map(RouteGroupBuilder pages)
    {
        pages.MapGet("/policies", ListAsync);
        pages.MapPost("/policies/access-control", AccessControlAsync);
        pages.MapGet("/policies/new", NewAsync);
        pages.MapPost("/policies", CreateAsync);
        pages.MapGet("/policies/{name}", ShowAsync);
        pages.MapPost("/policies/{name}/assign", (HttpContext c, string name, NpgsqlDataSource db, TimeProvider t, AuditTrail a,
            ApplicationService apps, CancellationToken ct) => AssignAsync(c, name, true, db, t, a, apps, ct));
        pages.MapPost("/policies/{name}/unassign", (HttpContext c, string name, NpgsqlDataSource db, TimeProvider t, AuditTrail a,
            ApplicationService apps, CancellationToken ct) => AssignAsync(c, name, false, db, t, a, apps, ct));
        pages.MapGet("/policies/{name}/delete", ConfirmDeleteAsync);
        pages.MapPost("/policies/{name}/delete", DeleteAsync);
    }

    /// <summary>What the create form holds, read back from a post so that nothing typed is lost on an error.</summary>
    private sealed record PolicyForm(string Name, string Description, string DataPool, string Columns, string Rows, string FormId)
    {
        public static PolicyForm Read(IFormCollection form) => new(form["uniqueName"].ToString(), form["description"].ToString(),
            form["dataPool"].ToString(), form["columns"].ToString(), form["rows"].ToString(), form["formId"].ToString());
    }

    public static async Task<IResult> ListAsync(HttpContext context, string? deleted, NpgsqlDataSource db, TimeProvider time,
        AuditTrail audit, CancellationToken ct)
    {
        var op = ConsoleGate.Operator(context);
        var operations = Operations(db, time, audit);
        var notice = deleted is { Length: > 0 and <= 200 } ? $"Deleted {deleted}. Its applications lose that access at once." : null;
        return Page(op, Section, "Access Policies", await OverviewAsync(op, operations, notice, null, ct));
    }

    public static async Task<IResult> AccessControlAsync(HttpContext context, NpgsqlDataSource db, TimeProvider time, AuditTrail audit,
        CancellationToken ct)
    {
        var op = ConsoleGate.Operator(context);
        var operations = Operations(db, time, audit);
        var pool = context.Request.Form["dataPool"].ToString();
        var enabled = context.Request.Form["enabled"].ToString();
        if (enabled is not ("on" or "off"))
        {
            return Page(op, Section, "Access Policies", await OverviewAsync(op, operations, null, "Access Control is either on or off", ct),
                StatusCodes.Status400BadRequest);
        }

        var (state, error) = await operations.SetAccessControlAsync(pool, enabled == "on", ct);
        var message = state is true ? $"Access Control is on for {pool}: applications query it only through their Access Policy."
            : $"Access Control is off for {pool}: every application with the scopes may query it.";
        return Page(op, Section, "Access Policies", await OverviewAsync(op, operations, error is null ? message : null, error, ct),
            error is null ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest);
    }

    public static async Task<IResult> NewAsync(HttpContext context, string? dataPool, NpgsqlDataSource db, TimeProvider time,
        AuditTrail audit, CancellationToken ct)
    {
        var pools = await Operations(db, time, audit).ListPoolsAsync(ct);
        var form = new PolicyForm("", "", dataPool ?? pools.FirstOrDefault()?.UniqueName ?? "", "*", "", ConsoleSubmissions.NewFormId());
        return CreateForm(ConsoleGate.Operator(context), pools, form, null, null);
    }

    public static async Task<IResult> CreateAsync(HttpContext context, NpgsqlDataSource db, TimeProvider time, AuditTrail audit,
        ConsoleSubmissions submissions, CancellationToken ct)
    {
        var op = ConsoleGate.Operator(context);
        var operations = Operations(db, time, audit);
        var form = PolicyForm.Read(context.Request.Form);
        var pools = await operations.ListPoolsAsync(ct);
        if (!ConsoleSubmissions.IsFormId(form.FormId))
        {
            return CreateForm(op, pools, form with { FormId = ConsoleSubmissions.NewFormId() }, "uniqueName",
                "the form was incomplete; check it and save again");
        }

        var rules = new List<AccessPolicyRowView>();
        var lines = form.Rows.Split(['\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var line in lines)
        {
            if (AccessPolicyRowView.Parse(line) is not { } rule)
            {
                return CreateForm(op, pools, form, "rows",
                    $"each line is one rule, 'COLUMN OPERATOR VALUE', e.g. 'tenant EQUALS ${{{{ tenant }}}}': " +
                    $"'{Token.OAuthError.Truncate(line)}'", StatusCodes.Status400BadRequest);
            }

            rules.Add(rule);
        }

        string? error = null;
        var (first, created) = await submissions.OnceAsync(form.FormId, async () =>
        {
            (var policy, error) = await operations.CreateAsync(form.Name.Trim(), form.Description, form.DataPool.Trim(),
                ApplicationForm.Lines(form.Columns), rules, ct);
            return policy?.UniqueName;
        });
        if (!first)
        {
            return Page(op, Section, "Already created",
                "<p class=\"notice\" role=\"status\">This form was already submitted, and it created one Access Policy: " +
                $"<a href=\"{PathOf(created!)}\">{E(created)}</a>.</p>");
        }

        return created is not null
            ? TypedResults.Redirect(PathOf(created) + "?created=1")
            : CreateForm(op, pools, form, FieldOf(error!), error, error!.Contains("already exists", StringComparison.Ordinal)
                ? StatusCodes.Status409Conflict : StatusCodes.Status400BadRequest);
    }

    public static async Task<IResult> ShowAsync(HttpContext context, string name, string? created, NpgsqlDataSource db, TimeProvider time,
        AuditTrail audit, ApplicationService applications, CancellationToken ct)
    {
        var op = ConsoleGate.Operator(context);
        return await Operations(db, time, audit).FindAsync(name, ct) is { } policy
            ? await DetailAsync(op, policy, applications, created is null ? null : "Created. Assign it to the applications it is for.",
                null, ct)
            : Missing(op, name);
    }

    private static async Task<IResult> AssignAsync(HttpContext context, string name, bool assign, NpgsqlDataSource db, TimeProvider time,
        AuditTrail audit, ApplicationService applications, CancellationToken ct)
    {
        var op = ConsoleGate.Operator(context);
        var operations = Operations(db, time, audit);
        var clientId = context.Request.Form["clientId"].ToString().Trim();
        if (await operations.FindAsync(name, ct) is not { } policy)
        {
            return Missing(op, name);
        }

        if (clientId.Length == 0)
        {
            return await DetailAsync(op, policy, applications, null, "clientId: choose an application", ct,
                StatusCodes.Status400BadRequest);
        }

        if (assign && await applications.GetAsync(clientId, ct) is null)
        {
            return await DetailAsync(op, policy, applications, null,
                $"clientId: there is no application '{Token.OAuthError.Truncate(clientId)}'",
                ct, StatusCodes.Status400BadRequest);
        }

        var (changed, error) = await operations.AssignAsync(policy.UniqueName, [clientId], assign, ct);
        return error is not null
            ? await DetailAsync(op, policy, applications, null, error, ct, StatusCodes.Status400BadRequest)
            : await DetailAsync(op, changed!, applications, assign ? $"Assigned to {clientId}." : $"{clientId} no longer has this policy.",
                null, ct);
    }

    public static async Task<IResult> ConfirmDeleteAsync(HttpContext context, string name, NpgsqlDataSource db, TimeProvider time,
        AuditTrail audit, CancellationToken ct)
    {
        var op = ConsoleGate.Operator(context);
        return await Operations(db, time, audit).FindAsync(name, ct) is { } policy ? DeleteForm(op, policy, "", null) : Missing(op, name);
    }

    public static async Task<IResult> DeleteAsync(HttpContext context, string name, NpgsqlDataSource db, TimeProvider time,
        AuditTrail audit, CancellationToken ct)
    {
        var op = ConsoleGate.Operator(context);
        var operations = Operations(db, time, audit);
        var typed = context.Request.Form["confirmName"].ToString();
        if (await operations.FindAsync(name, ct) is not { } policy)
        {
            return Stale(op, name);
        }

        if (!string.Equals(typed.Trim(), policy.UniqueName, StringComparison.Ordinal))
        {
            return DeleteForm(op, policy, typed, $"type the name “{policy.UniqueName}” exactly to delete it");
        }

        var (id, error) = await operations.DeleteAsync(policy.Id.ToString(), ct);
        return error is not null ? DeleteForm(op, policy, typed, error)
            : id is null ? Stale(op, policy.UniqueName)
            : TypedResults.Redirect(Section + "?deleted=" + Uri.EscapeDataString(policy.UniqueName));
    }

    /// <summary>The operator of this request is who the audit trail names (set by <see cref="ConsoleGate"/>).</summary>
    private static AccessPolicyOperations Operations(NpgsqlDataSource db, TimeProvider time, AuditTrail audit) =>
        new(db, time, audit.CurrentActor);

    private static string PathOf(string policy) => Section + "/" + Uri.EscapeDataString(policy);

    /// <summary>The form field an error names: the rules' messages start with the field ("columns: unknown column ...").</summary>
    private static string FieldOf(string error) => error.Split(':', 2)[0] switch
    {
        "columns" => "columns",
        "rows" => "rows",
        "dataPool" => "dataPool",
        "description" => "description",
        _ => "uniqueName",
    };

    private static async Task<string> OverviewAsync(ConsoleOperator op, AccessPolicyOperations operations, string? notice, string? error,
        CancellationToken ct)
    {
        var pools = await operations.ListPoolsAsync(ct);
        var (policies, listError) = await operations.ListAsync(null, ct);
        var html = new StringBuilder();
        if (notice is not null)
        {
            html.Append("<p class=\"notice\" role=\"status\">").Append(E(notice)).Append("</p>");
        }

        if ((error ?? listError) is { } message)
        {
            html.Append("<div class=\"error-summary\" role=\"alert\"><p>Nothing was saved: ").Append(E(message)).Append("</p></div>");
        }

        html.Append("<p class=\"hint\">With Access Control on, an application may query a Data Pool and its Metrics only through the ")
            .Append("one Access Policy assigned to it: the policy's columns, and the rows its rules allow (a rule's ")
            .Append("<code>${{ name }}</code> is filled from the token's <code>policy_values</code> or <code>tenant</code>).</p>");
        if (op.IsAdmin && pools.Count > 0)
        {
            html.Append("<p><a class=\"button\" href=\"/console/policies/new\">Create policy</a></p>");
        }

        if (pools.Count == 0)
        {
            return html.Append("<p class=\"empty\">No Data Pools yet: create one through the ResourceApi's GraphQL ")
                .Append("<code>createDataPool</code> mutation, then give it Access Policies here.</p>").ToString();
        }

        foreach (var pool in pools)
        {
            var mine = (policies ?? []).Where(p => p.DataPool == pool.UniqueName).ToList();
            var headingId = "pool-" + pool.Id.ToString("N");
            html.Append("<section class=\"card\" aria-labelledby=\"").Append(headingId).Append("\"><h2 id=\"").Append(headingId)
                .Append("\">")
                .Append(E(pool.UniqueName)).Append("</h2><p>Access Control: <strong>").Append(pool.AccessControlEnabled ? "on" : "off")
                .Append("</strong>").Append(pool.AccessControlEnabled && mine.Count == 0
                    ? " — no policy yet, so no application may query it." : "").Append("</p>");
            if (op.IsAdmin)
            {
                var turnTo = pool.AccessControlEnabled ? "off" : "on";
                html.Append("<form method=\"post\" action=\"/console/policies/access-control\" class=\"inline\">")
                    .Append(op.AntiforgeryField)
                    .Append("<input type=\"hidden\" name=\"dataPool\" value=\"").Append(E(pool.UniqueName)).Append("\">")
                    .Append("<input type=\"hidden\" name=\"enabled\" value=\"").Append(turnTo).Append("\">")
                    .Append("<button type=\"submit\" class=\"secondary\">Turn Access Control ").Append(turnTo)
                    .Append(" for ").Append(E(pool.UniqueName)).Append("</button></form> <a href=\"/console/policies/new?dataPool=")
                    .Append(Uri.EscapeDataString(pool.UniqueName)).Append("\">New policy for ").Append(E(pool.UniqueName)).Append("</a>");
            }

            if (mine.Count == 0)
            {
                html.Append("<p class=\"empty\">No Access Policies for this Data Pool.</p></section>");
                continue;
            }

            html.Append("<table><thead><tr><th scope=\"col\">Policy</th><th scope=\"col\">Columns</th><th scope=\"col\">Row rules</th>")
                .Append("<th scope=\"col\">Applications</th></tr></thead><tbody>");
            foreach (var policy in mine)
            {
                html.Append("<tr><td data-label=\"Policy\"><a href=\"").Append(PathOf(policy.UniqueName)).Append("\">")
                    .Append(E(policy.UniqueName)).Append("</a></td><td data-label=\"Columns\">").Append(Chips(policy.Columns))
                    .Append("</td><td data-label=\"Row rules\">")
                    .Append(Rules(policy.Rows)).Append("</td><td data-label=\"Applications\">")
                    .Append(policy.Applications.Length == 0 ? "none" : Chips(policy.Applications)).Append("</td></tr>");
            }

            html.Append("</tbody></table></section>");
        }

        return html.ToString();
    }

    private static string Rules(IReadOnlyList<AccessPolicyRowView> rows) => rows.Count == 0 ? "every row"
        : string.Join("<br>", rows.Select(r => $"<code>{E(r.Column)} {E(r.Operator)} {E(r.Value)}</code>"));

    private static ConsolePage CreateForm(ConsoleOperator op, IReadOnlyList<DataPoolAccessView> pools, PolicyForm form, string? field,
        string? error, int status = StatusCodes.Status200OK)
    {
        string? ErrorFor(string name) => field == name ? error : null;
        var options = string.Concat(pools.Select(p => $"<option value=\"{E(p.UniqueName)}\"" +
            $"{(p.UniqueName == form.DataPool ? " selected" : "")}>{E(p.UniqueName)}</option>"));
        var poolError = ErrorFor("dataPool");
        var columnsHint = pools.FirstOrDefault(p => p.UniqueName == form.DataPool) is { } chosen
            ? $"* for all, or some of: {string.Join(", ", chosen.Columns)}." : "* for all, or column names separated by commas.";
        return Page(op, Section, "Create Access Policy",
            ErrorSummary(field, error) +
            $"<form method=\"post\" action=\"/console/policies\" class=\"card\">{op.AntiforgeryField}" +
            $"<input type=\"hidden\" name=\"formId\" value=\"{E(form.FormId)}\">" +
            Field("uniqueName", "Name", form.Name, ErrorFor("uniqueName"), extra: " required maxlength=\"200\" autocomplete=\"off\"",
                hint: "Unique; 1 to 200 characters.") +
            TextArea("description", "Description", form.Description, ErrorFor("description")) +
            $"<div class=\"field\"><label for=\"dataPool\">Data Pool</label>" +
            (poolError is null ? "" : $"<p class=\"field-error\" id=\"dataPool-error\">{E(poolError)}</p>") +
            "<select id=\"dataPool\" name=\"dataPool\"" +
            (poolError is null ? "" : " aria-invalid=\"true\" aria-describedby=\"dataPool-error\"") + ">" +
            $"{options}</select></div>" +
            Field("columns", "Columns", form.Columns, ErrorFor("columns"), extra: " required autocomplete=\"off\"", hint: columnsHint) +
            TextArea("rows", "Row rules", form.Rows, ErrorFor("rows"),
                "One rule per line, all must hold: COLUMN OPERATOR VALUE, e.g. 'tenant EQUALS ${{ tenant }}'. Operators: " +
                string.Join(", ", AccessPolicyRowView.Operators) + ". Empty: every row.") +
            "<button type=\"submit\">Create policy</button> <a href=\"/console/policies\">Cancel</a></form>", status);
    }

    private static async Task<ConsolePage> DetailAsync(ConsoleOperator op, AccessPolicyView policy, ApplicationService applications,
        string? notice, string? error, CancellationToken ct, int status = StatusCodes.Status200OK)
    {
        var path = PathOf(policy.UniqueName);
        var html = new StringBuilder();
        if (notice is not null)
        {
            html.Append("<p class=\"notice\" role=\"status\">").Append(E(notice)).Append("</p>");
        }

        html.Append(ErrorSummary("clientId", error));
        html.Append("<div class=\"card\"><dl><dt>Data Pool</dt><dd>").Append(E(policy.DataPool)).Append("</dd><dt>Description</dt><dd>")
            .Append(policy.Description.Length == 0 ? "—" : E(policy.Description)).Append("</dd><dt>Columns</dt><dd>")
            .Append(Chips(policy.Columns)).Append("</dd><dt>Row rules</dt><dd>").Append(Rules(policy.Rows))
            .Append("</dd><dt>Created</dt><dd>")
            .Append(Time(policy.CreatedAt)).Append("</dd></dl></div>");
        html.Append("<h2>Applications</h2>");
        if (policy.Applications.Length == 0)
        {
            html.Append("<p class=\"empty\">Not assigned to any application yet.</p>");
        }
        else
        {
            html.Append("<ul class=\"card\">");
            foreach (var clientId in policy.Applications)
            {
                html.Append("<li><code>").Append(E(clientId)).Append("</code>");
                if (op.IsAdmin)
                {
                    html.Append(" <form method=\"post\" action=\"").Append(path).Append("/unassign\" class=\"inline\">")
                        .Append(op.AntiforgeryField)
                        .Append("<input type=\"hidden\" name=\"clientId\" value=\"").Append(E(clientId)).Append("\">")
                        .Append("<button type=\"submit\" class=\"link\">Unassign ").Append(E(clientId)).Append("</button></form>");
                }

                html.Append("</li>");
            }

            html.Append("</ul>");
        }

        if (!op.IsAdmin)
        {
            return Page(op, Section, policy.UniqueName, html.ToString(), status);
        }

        var candidates = (await applications.ListAsync(ct)).Where(a => !policy.Applications.Contains(a.ClientId)).ToList();
        if (candidates.Count > 0)
        {
            html.Append("<form method=\"post\" action=\"").Append(path).Append("/assign\" class=\"card\">").Append(op.AntiforgeryField)
                .Append("<div class=\"field\"><label for=\"clientId\">Assign to application</label><p class=\"hint\" id=\"clientId-hint\">")
                .Append("An application has at most one policy per Data Pool.</p><select id=\"clientId\" name=\"clientId\" ")
                .Append("aria-describedby=\"clientId-hint\">");
            foreach (var a in candidates)
            {
                html.Append("<option value=\"").Append(E(a.ClientId)).Append("\">").Append(E(a.Name)).Append(" (").Append(E(a.ClientId))
                    .Append(")</option>");
            }

            html.Append("</select></div><button type=\"submit\">Assign</button></form>");
        }

        html.Append("<h2>Delete</h2><p><a class=\"button danger\" href=\"").Append(path).Append("/delete\">Delete ")
            .Append(E(policy.UniqueName))
            .Append("…</a></p>");
        return Page(op, Section, policy.UniqueName, html.ToString(), status);
    }

    private static ConsolePage DeleteForm(ConsoleOperator op, AccessPolicyView policy, string typed, string? error)
    {
        var path = PathOf(policy.UniqueName);
        return Page(op, Section, $"Delete {policy.UniqueName}?",
            ErrorSummary("confirmName", error) +
            $"<form method=\"post\" action=\"{path}/delete\" class=\"card\">{op.AntiforgeryField}" +
            $"<p>Deleting <strong>{E(policy.UniqueName)}</strong> cannot be undone: its applications " +
            $"({(policy.Applications.Length == 0 ? "none" : E(string.Join(", ", policy.Applications)))}) lose their access to " +
            $"{E(policy.DataPool)} at once if its Access Control is on.</p>" +
            Field("confirmName", $"Type {policy.UniqueName} to confirm", typed, error, extra: " autocomplete=\"off\" required") +
            $"<button type=\"submit\" class=\"danger\">Delete {E(policy.UniqueName)}</button> <a href=\"{path}\">Cancel</a></form>",
            error is null ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest);
    }

    private static ConsolePage Missing(ConsoleOperator op, string name) =>
        Message(op, "No such Access Policy", $"There is no Access Policy named “{name}”.", StatusCodes.Status404NotFound);

    private static ConsolePage Stale(ConsoleOperator op, string name) => Message(op, "Access Policy gone",
        $"The Access Policy “{name}” was deleted while this form was open: nothing was changed.", StatusCodes.Status409Conflict);
}
