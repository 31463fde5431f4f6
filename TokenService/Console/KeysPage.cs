using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using TokenService.Audit;
using TokenService.Keys;
using static TokenService.WebConsole.ConsoleHtml;

namespace TokenService.WebConsole;

/// <summary>Signing keys with their states, and rotation with a lead time (as `TokenService keys rotate --lead-seconds`).</summary>
public static class KeysPage
{
    public const string Section = "/console/keys";
    public const int DefaultLeadSeconds = 600;
    public const int MaxLeadSeconds = 7 * 24 * 3600;

    public static void Map(RouteGroupBuilder pages)
    {
        pages.MapGet("/keys", ShowAsync);
        pages.MapPost("/keys/rotate", RotateAsync);
    }

    public static async Task<IResult> ShowAsync(HttpContext context, SigningKeyStore store,
        KeyRingRefresher refresher, TimeProvider time, CancellationToken ct) =>
        await PageAsync(ConsoleGate.Operator(context), store, refresher.Lifecycle, time,
            DefaultLeadSeconds.ToString(CultureInfo.InvariantCulture), null, null, ct);

    public static async Task<IResult> RotateAsync(HttpContext context, SigningKeyStore store, AuditTrail audit,
        IOptions<TokenServiceOptions> options, KeyRingRefresher refresher, TimeProvider time, CancellationToken ct)
    {
        var op = ConsoleGate.Operator(context);
        var leadText = context.Request.Form["leadSeconds"].ToString().Trim();
        if (!int.TryParse(leadText, NumberStyles.None, CultureInfo.InvariantCulture, out var lead) || lead > MaxLeadSeconds)
        {
            return await PageAsync(op, store, refresher.Lifecycle, time, leadText,
                $"lead time must be a whole number of seconds from 0 to {MaxLeadSeconds}",
                null, ct, StatusCodes.Status400BadRequest);
        }

        var key = await store.AddAsync(TimeSpan.FromSeconds(lead), ct,
            audit.Entry(AuditActions.KeyRotate, "key", "", new { leadSeconds = lead }));
        return await PageAsync(op, store, refresher.Lifecycle, time, leadText, null,
            $"Added key {key.Kid}: published now, signing from {key.ActivatesAt:yyyy-MM-dd HH:mm:ss} UTC.", ct);
    }

    private static async Task<ConsolePage> PageAsync(ConsoleOperator op, SigningKeyStore store,
        SigningKeyLifecycle lifecycle, TimeProvider time, string lead, string? error, string? notice, CancellationToken ct,
        int status = StatusCodes.Status200OK)
    {
        var keys = await store.ListAsync(ct);
        var now = time.GetUtcNow();
        var html = new StringBuilder();
        if (notice is not null)
        {
            html.Append("<p class=\"notice\" role=\"status\">").Append(E(notice)).Append("</p>");
        }

        html.Append(ErrorSummary("leadSeconds", error));
        if (keys.Count == 0)
        {
            html.Append("<p class=\"empty\">No signing keys yet: the service creates the first one when it starts.</p>");
        }
        else
        {
            html.Append("<table><thead><tr><th scope=\"col\">Key ID</th><th scope=\"col\">Algorithm</th><th scope=\"col\">State</th>")
                .Append("<th scope=\"col\">Created</th>")
                .Append("<th scope=\"col\">Signs from</th><th scope=\"col\">Retired</th></tr></thead><tbody>");
            foreach (var key in keys.OrderByDescending(k => k.ActivatesAt))
            {
                html.Append("<tr><td data-label=\"Key ID\"><code>").Append(E(key.Kid))
                    .Append("</code></td><td data-label=\"Algorithm\">").Append(E(key.Algorithm))
                    .Append("</td><td data-label=\"State\"><span class=\"chip\">")
                    .Append(E(lifecycle.StateOf(key, keys, now).ToString().ToLowerInvariant()))
                    .Append("</span></td><td data-label=\"Created\">")
                    .Append(Time(key.CreatedAt)).Append("</td><td data-label=\"Signs from\">").Append(Time(key.ActivatesAt))
                    .Append("</td><td data-label=\"Retired\">").Append(Time(key.RetiredAt)).Append("</td></tr>");
            }

            html.Append("</tbody></table>");
        }

        if (op.IsAdmin)
        {
            html.Append("<h2>Rotate</h2><form method=\"post\" action=\"/console/keys/rotate\" class=\"card\">").Append(op.AntiforgeryField)
                .Append(Field("leadSeconds", "Lead time (seconds)", lead, error, extra: " inputmode=\"numeric\"",
                    hint: "The new key is published in the JWKS at once and signs only after this, so verifiers' caches learn it first."))
                .Append("<button type=\"submit\">Add a signing key</button></form>");
        }

        return Page(op, Section, "Signing keys", html.ToString(), status);
    }
}
