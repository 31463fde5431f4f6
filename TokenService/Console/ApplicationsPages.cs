using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using TokenService.Applications;
using static TokenService.WebConsole.ConsoleHtml;
using ApplicationService = TokenService.Applications.Applications;

namespace TokenService.WebConsole;

/// <summary>
/// The Applications pages: list with search, create (secret shown once, with ready-to-paste curl), edit, rotate
/// with a grace period, delete behind a confirmation naming the application. Every change goes through
/// <see cref="ApplicationService"/>, the code behind the CLI and the management API.
/// </summary>
public static class ApplicationsPages
{
    public const string Section = "/console/applications";

    public static void Map(RouteGroupBuilder pages)
    {
        pages.MapGet("/applications", ListAsync);
        pages.MapGet("/applications/new", New);
        pages.MapPost("/applications", CreateAsync);
        pages.MapGet("/applications/{clientId}", ShowAsync);
        pages.MapPost("/applications/{clientId}", UpdateAsync);
        pages.MapPost("/applications/{clientId}/rotate-secret", RotateAsync);
        pages.MapGet("/applications/{clientId}/delete", ConfirmDeleteAsync);
        pages.MapPost("/applications/{clientId}/delete", DeleteAsync);
    }

    public static async Task<IResult> ListAsync(HttpContext context, string? q, string? deleted, ApplicationService applications,
        CancellationToken ct)
    {
        var op = ConsoleGate.Operator(context);
        var search = q?.Trim() ?? "";
        var all = await applications.ListAsync(ct);
        var shown = search.Length == 0 ? all : all.Where(a => a.Name.Contains(search, StringComparison.OrdinalIgnoreCase) ||
                                                                a.ClientId.Contains(search, StringComparison.OrdinalIgnoreCase)).ToList();
        var html = new StringBuilder();
        if (deleted is { Length: > 0 and <= 100 })
        {
            html.Append("<p class=\"notice\" role=\"status\">Deleted ").Append(E(deleted))
                .Append(". Its tokens stop working within seconds.</p>");
        }

        html.Append("<form method=\"get\" action=\"/console/applications\" class=\"toolbar\" role=\"search\">")
            .Append(Field("q", "Search by name or client ID", search, null, "search"))
            .Append("<button type=\"submit\" class=\"secondary\">Search</button>");
        if (op.IsAdmin)
        {
            html.Append("<a class=\"button\" href=\"/console/applications/new\">Create application</a>");
        }

        html.Append("</form>");
        if (shown.Count == 0)
        {
            html.Append("<p class=\"empty\">")
                .Append(all.Count == 0 ? "No applications yet." : $"No application matches “{E(search)}”.")
                .Append(op.IsAdmin && all.Count == 0 ? " <a href=\"/console/applications/new\">Create the first one</a>." : "")
                .Append("</p>");
        }
        else
        {
            html.Append("<table><caption class=\"hint\">").Append(shown.Count).Append(" of ").Append(all.Count)
                .Append(" applications</caption><thead><tr><th scope=\"col\">Name</th><th scope=\"col\">Client ID</th><th " +
                    "scope=\"col\">Type</th>")
                .Append("<th scope=\"col\">Scopes</th><th scope=\"col\">Created</th></tr></thead><tbody>");
            foreach (var a in shown)
            {
                html.Append("<tr><td data-label=\"Name\"><a href=\"/console/applications/").Append(Uri.EscapeDataString(a.ClientId))
                    .Append("\">")
                    .Append(E(a.Name)).Append("</a></td><td data-label=\"Client ID\"><code>").Append(E(a.ClientId)).Append("</code></td>")
                    .Append("<td data-label=\"Type\">").Append(E(a.ClientType)).Append("</td><td data-label=\"Scopes\">")
                    .Append(Chips(a.Scopes))
                    .Append("</td><td data-label=\"Created\">").Append(Time(a.CreatedAt)).Append("</td></tr>");
            }

            html.Append("</tbody></table>");
        }

        return Page(op, Section, "Applications", html.ToString());
    }

    public static IResult New(HttpContext context) => CreateForm(ConsoleGate.Operator(context), ApplicationForm.Empty(), null);

    public static async Task<IResult> CreateAsync(HttpContext context, ApplicationService applications, ConsoleSubmissions submissions,
        IOptions<TokenServiceOptions> tokenOptions, IOptions<ConsoleOptions> consoleOptions, CancellationToken ct)
    {
        var op = ConsoleGate.Operator(context);
        var form = ApplicationForm.Read(context.Request.Form);
        if (!ConsoleSubmissions.IsFormId(form.FormId))
        {
            return CreateForm(op, form with { FormId = ConsoleSubmissions.NewFormId() },
                new("name", "the form was incomplete; check it and save again"));
        }

        var (lifetime, policyValues, inputError) = form.TokenInputs();
        if (inputError is not null)
        {
            return CreateForm(op, form, inputError, StatusCodes.Status400BadRequest);
        }

        ApplicationWithSecret? created = null;
        ValidationError? error = null;
        var (first, clientId) = await submissions.OnceAsync(form.FormId, async () =>
        {
            (created, error) = await applications.CreateAsync(form.Name, form.Description, form.Scopes,
                new ClientSettings(form.Type, ApplicationForm.Lines(form.RedirectUris), null), form.TenantList,
                new TokenSettings(lifetime) { AllowedPolicyValues = policyValues }, ct);
            return created?.ClientId;
        });
        if (!first)
        {
            return Page(op, Section, "Already created",
                $"<p class=\"notice\" role=\"status\">This form was already submitted, and it created one application: " +
                $"<a href=\"/console/applications/{Uri.EscapeDataString(clientId!)}\">{E(form.Name)}</a>.</p>" +
                "<p>Its secret was shown only in the answer to the first submission. If you did not copy it, rotate the secret on the " +
                "application's page.</p>");
        }

        return created is null
            ? CreateForm(op, form, error, error!.IsConflict ? StatusCodes.Status409Conflict : StatusCodes.Status400BadRequest)
            : SecretPage(op, "Application created", created, tokenOptions.Value, consoleOptions.Value);
    }

    public static async Task<IResult> ShowAsync(HttpContext context, string clientId, ApplicationService applications,
        IOptions<TokenServiceOptions> options, CancellationToken ct)
    {
        var op = ConsoleGate.Operator(context);
        return await FindAsync(applications, clientId, ct) is { } app
            ? DetailPage(op, app, ApplicationForm.From(app), null, null,
                options.Value.SecretRotationGracePeriodSeconds.ToString(CultureInfo.InvariantCulture))
            : Missing(op, clientId);
    }

    public static async Task<IResult> UpdateAsync(HttpContext context, string clientId, ApplicationService applications,
        IOptions<TokenServiceOptions> options, CancellationToken ct)
    {
        var op = ConsoleGate.Operator(context);
        var form = ApplicationForm.Read(context.Request.Form);
        if (await FindAsync(applications, clientId, ct) is not { } current)
        {
            return Stale(op, context.Request.Form["originalName"].ToString());
        }

        var grace = options.Value.SecretRotationGracePeriodSeconds.ToString(CultureInfo.InvariantCulture);
        var (lifetime, policyValues, inputError) = form.TokenInputs();
        if (inputError is not null)
        {
            return DetailPage(op, current, form with { Type = current.ClientType }, inputError, null, grace,
                StatusCodes.Status400BadRequest);
        }

        var uris = ApplicationForm.Lines(form.RedirectUris);
        var tenants = form.TenantList;
        var changes = new ApplicationChanges(form.Name, form.Description, form.Scopes,
            uris.SequenceEqual(current.RedirectUris) ? null : uris)
        {
            AllowedTenantsChanged = !(tenants ?? []).SequenceEqual(current.AllowedTenants ?? [])
                || (tenants is null) != (current.AllowedTenants is null),
            AllowedTenants = tenants,
            // The form always holds both, so each save restates them (the same value is no change).
            AccessTokenLifetimeChanged = true, AccessTokenLifetimeSeconds = lifetime,
            AllowedPolicyValuesChanged = true, AllowedPolicyValues = policyValues,
        };
        var (updated, error) = await applications.UpdateAsync(clientId, changes, ct);
        if (error is not null)
        {
            return DetailPage(op, current, form with { Type = current.ClientType }, error, null, grace,
                error.IsConflict ? StatusCodes.Status409Conflict : StatusCodes.Status400BadRequest);
        }

        return updated is null
            ? Stale(op, current.Name)
            : DetailPage(op, updated, ApplicationForm.From(updated), null, "Saved.", grace);
    }

    public static async Task<IResult> RotateAsync(HttpContext context, string clientId, ApplicationService applications,
        IOptions<TokenServiceOptions> tokenOptions, IOptions<ConsoleOptions> consoleOptions, CancellationToken ct)
    {
        var op = ConsoleGate.Operator(context);
        var graceText = context.Request.Form["gracePeriodSeconds"].ToString().Trim();
        if (await FindAsync(applications, clientId, ct) is not { } current)
        {
            return Stale(op, context.Request.Form["originalName"].ToString());
        }

        if (!int.TryParse(graceText, NumberStyles.None, CultureInfo.InvariantCulture, out var grace)
            || grace > ApplicationsApi.MaxGracePeriodSeconds)
        {
            return DetailPage(op, current, ApplicationForm.From(current),
                new("gracePeriodSeconds",
                    $"grace period must be a whole number of seconds from 0 to {ApplicationsApi.MaxGracePeriodSeconds}"),
                null, graceText, StatusCodes.Status400BadRequest);
        }

        return await applications.RotateSecretAsync(clientId, TimeSpan.FromSeconds(grace), ct) is { } rotated
            ? SecretPage(op, "New secret", rotated, tokenOptions.Value, consoleOptions.Value)
            : Stale(op, current.Name);
    }

    public static async Task<IResult> ConfirmDeleteAsync(HttpContext context, string clientId, ApplicationService applications,
        CancellationToken ct)
    {
        var op = ConsoleGate.Operator(context);
        return await FindAsync(applications, clientId, ct) is { } app ? DeleteForm(op, app, "", null) : Missing(op, clientId);
    }

    public static async Task<IResult> DeleteAsync(HttpContext context, string clientId, ApplicationService applications,
        CancellationToken ct)
    {
        var op = ConsoleGate.Operator(context);
        var typed = context.Request.Form["confirmName"].ToString();
        if (await FindAsync(applications, clientId, ct) is not { } app)
        {
            return Stale(op, context.Request.Form["originalName"].ToString());
        }

        if (!string.Equals(typed.Trim(), app.Name, StringComparison.Ordinal))
        {
            return DeleteForm(op, app, typed, $"type the name “{app.Name}” exactly to delete it");
        }

        return await applications.DeleteAsync(clientId, ct)
            ? TypedResults.Redirect("/console/applications?deleted=" + Uri.EscapeDataString(app.Name))
            : Stale(op, app.Name);
    }

    private static async Task<ApplicationView?> FindAsync(ApplicationService applications, string clientId, CancellationToken ct) =>
        clientId.Length <= Token.ClientAuthentication.MaxClientIdLength ? await applications.GetAsync(clientId, ct) : null;

    private static ConsolePage CreateForm(ConsoleOperator op, ApplicationForm form, ValidationError? error,
        int status = StatusCodes.Status200OK) =>
        Page(op, Section, "Create application",
            ErrorSummary(error?.Field, error?.Message) +
            $"<form method=\"post\" action=\"/console/applications\" class=\"card\">{op.AntiforgeryField}" +
            $"<input type=\"hidden\" name=\"formId\" value=\"{E(form.FormId)}\">" +
            $"{form.Fields(error?.Field, error?.Message, isEdit: false)}" +
            "<button type=\"submit\">Create application</button> <a href=\"/console/applications\">Cancel</a></form>", status);

    private static ConsolePage DetailPage(ConsoleOperator op, ApplicationView app, ApplicationForm form, ValidationError? error,
        string? notice, string grace, int status = StatusCodes.Status200OK)
    {
        var path = "/console/applications/" + Uri.EscapeDataString(app.ClientId);
        var html = new StringBuilder();
        if (notice is not null)
        {
            html.Append("<p class=\"notice\" role=\"status\">").Append(E(notice)).Append("</p>");
        }

        html.Append(ErrorSummary(error?.Field, error?.Message));
        html.Append("<div class=\"card\"><dl><dt>Client ID</dt><dd><code>").Append(E(app.ClientId)).Append("</code></dd><dt>Type</dt><dd>")
            .Append(E(app.ClientType)).Append("</dd><dt>Scopes</dt><dd>").Append(app.Scopes.Length == 0 ? "none" : Chips(app.Scopes))
            .Append("</dd><dt>Grant types</dt><dd>").Append(Chips(app.GrantTypes)).Append("</dd><dt>Allowed tenants</dt><dd>")
            .Append(app.AllowedTenants is null ? "any tenant" : app.AllowedTenants.Length == 0 ? "none" : Chips(app.AllowedTenants))
            .Append("</dd><dt>Created</dt><dd>").Append(Time(app.CreatedAt)).Append("</dd><dt>Updated</dt><dd>").Append(Time(app.UpdatedAt))
            .Append("</dd>");
        if (app.PreviousSecretExpiresAt is { } previous)
        {
            html.Append("<dt>Previous secret</dt><dd>works until ").Append(Time(previous)).Append("</dd>");
        }

        html.Append("</dl></div>");
        if (!op.IsAdmin)
        {
            return Page(op, Section, app.Name, html.ToString(), status);
        }

        var original = $"<input type=\"hidden\" name=\"originalName\" value=\"{E(app.Name)}\">";
        html.Append("<h2>Edit</h2><form method=\"post\" action=\"").Append(path).Append("\" class=\"card\">").Append(op.AntiforgeryField)
            .Append(original)
            .Append(form.Fields(error?.Field is "gracePeriodSeconds" ? null : error?.Field, error?.Message, isEdit: true))
            .Append("<button type=\"submit\">Save changes</button></form>");
        if (app.ClientType == Shared.Protocol.ClientTypes.Confidential)
        {
            html.Append("<h2>Rotate secret</h2><form method=\"post\" action=\"").Append(path).Append("/rotate-secret\" class=\"card\">")
                .Append(op.AntiforgeryField).Append(original)
                .Append(Field("gracePeriodSeconds", "Grace period (seconds)", grace,
                    error?.Field == "gracePeriodSeconds" ? error.Message : null,
                    extra: " inputmode=\"numeric\"",
                    hint: "How long the old secret keeps working, so callers can switch without downtime. 0 stops it now."))
                .Append("<button type=\"submit\">Rotate secret</button></form>");
        }

        html.Append("<h2>Delete</h2><p><a class=\"button danger\" href=\"").Append(path).Append("/delete\">Delete ").Append(E(app.Name))
            .Append("…</a></p>");
        return Page(op, Section, app.Name, html.ToString(), status);
    }

    private static ConsolePage DeleteForm(ConsoleOperator op, ApplicationView app, string typed, string? error)
    {
        var path = "/console/applications/" + Uri.EscapeDataString(app.ClientId);
        return Page(op, Section, $"Delete {app.Name}?",
            ErrorSummary("confirmName", error) +
            $"<form method=\"post\" action=\"{path}/delete\" class=\"card\">{op.AntiforgeryField}" +
            $"<input type=\"hidden\" name=\"originalName\" value=\"{E(app.Name)}\">" +
            $"<p>Deleting <strong>{E(app.Name)}</strong> (<code>{E(app.ClientId)}</code>) cannot be undone: its secret stops working and " +
            "every token it holds is revoked within seconds.</p>" +
            Field("confirmName", $"Type {app.Name} to confirm", typed, error, extra: " autocomplete=\"off\" required") +
            $"<button type=\"submit\" class=\"danger\">Delete {E(app.Name)}</button> <a href=\"{path}\">Cancel</a></form>",
            error is null ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest);
    }

    /// <summary>The secret, once: a copy button (script) or select-and-copy (no script), and the seed's steps 2 and 3 ready to
    /// paste.</summary>
    private static ConsolePage SecretPage(ConsoleOperator op, string title, ApplicationWithSecret app, TokenServiceOptions token,
        ConsoleOptions console)
    {
        var html = new StringBuilder();
        var path = "/console/applications/" + Uri.EscapeDataString(app.ClientId);
        html.Append("<div class=\"card\"><dl><dt>Name</dt><dd>").Append(E(app.Name))
            .Append("</dd><dt>Client ID</dt><dd><code id=\"client-id\">")
            .Append(E(app.ClientId)).Append("</code></dd></dl>");
        if (app.Secret is { } secret)
        {
            var scope = string.Join(' ', app.Scopes);
            var tokenCurl = $"curl -s {token.IssuerTrimmed}/oauth2/token \\\n    -d grant_type=client_credentials -d " +
                $"client_id={app.ClientId} \\\n" +
                            $"    -d client_secret={secret}" + (scope.Length > 0 ? $" \\\n    -d 'scope={scope}'" : "");
            var graphQl = $"curl -s {console.ResourceApiUrl.TrimEnd('/')}/graphql -H \"Authorization: Bearer $TOKEN\" \\\n" +
                          "    -H 'Content-Type: application/json' -d '{\"query\":\"{ counter(metric: \\\"revenue\\\") { value } }\"}'";
            html.Append("<p class=\"notice\" role=\"status\"><strong>Copy the secret now.</strong> It is shown only this once; it is " +
                "stored only as a hash.</p>")
                .Append("<div class=\"field\"><label for=\"secret\">Client secret</label><input id=\"secret\" class=\"secret\" readonly " +
                    "value=\"")
                .Append(E(secret)).Append("\"> <button type=\"button\" data-copy=\"secret\" hidden>Copy secret</button></div>")
                .Append("<h2>Get a token</h2><pre><code id=\"curl-token\">").Append(E(tokenCurl)).Append("</code></pre>")
                .Append("<button type=\"button\" data-copy=\"curl-token\" hidden>Copy command</button>")
                .Append("<h2>Call the GraphQL API with it</h2><p class=\"hint\">Put the access_token from the answer above in " +
                    "$TOKEN.</p><pre><code id=\"curl-graphql\">")
                .Append(E(graphQl)).Append("</code></pre><button type=\"button\" data-copy=\"curl-graphql\" hidden>Copy command</button>");
        }
        else
        {
            html.Append("<p>A public client has no secret: it signs users in with the authorization code flow and PKCE.</p>");
        }

        html.Append("</div><p><a href=\"").Append(path).Append("\">Go to ").Append(E(app.Name))
            .Append("</a> · <a href=\"/console/applications\">All applications</a></p>");
        return Page(op, Section, title, html.ToString());
    }

    private static ConsolePage Missing(ConsoleOperator op, string clientId) =>
        Message(op, "Not found", $"There is no application with client ID {Token.OAuthError.Truncate(clientId)}.",
            StatusCodes.Status404NotFound);

    /// <summary>The form was opened before someone else deleted the application: say so, change nothing.</summary>
    private static ConsolePage Stale(ConsoleOperator op, string name) =>
        Message(op, "Application no longer exists",
            $"The application {(name.Length is > 0 and <= 100 ? $"“{name}” " : "")}was deleted after this form was opened. Nothing " +
            "was changed.",
            StatusCodes.Status409Conflict);
}
