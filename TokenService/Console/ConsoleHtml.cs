using System.Text;
using System.Text.Encodings.Web;

namespace TokenService.WebConsole;

/// <summary>
/// A Console page with the headers every one carries: a strict CSP (our own stylesheet and script file only, no
/// inline script or style, forms post only to us), no framing (clickjacking), no referrer, no caching (pages show
/// secrets once and operator data always).
/// </summary>
public sealed record ConsolePage(string Html, int StatusCode = StatusCodes.Status200OK) : IResult
{
    public const string ContentSecurityPolicy =
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri " +
        "'none'";

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        response.ContentType = "text/html; charset=utf-8";
        SecurityHeaders(response);
        return response.WriteAsync(Html, Encoding.UTF8);
    }

    public static void SecurityHeaders(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XFrameOptions = "DENY";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Cross-Origin-Opener-Policy"] = "same-origin";
        response.Headers.CacheControl = "no-store";
        response.Headers.Pragma = "no-cache";
    }
}

/// <summary>The layout and the small pieces pages are built from. Every value written goes through <see cref="E"/>.</summary>
public static class ConsoleHtml
{
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Default;

    public static string E(string? value) => Encoder.Encode(value ?? "");

    private static readonly (string Path, string Label)[] Navigation =
    [
        ("/console/applications", "Applications"), ("/console/policies", "Access Policies"), ("/console/keys", "Keys"),
        ("/console/users", "Users"),
        ("/console/inspector", "Token inspector"), ("/console/audit", "Audit trail"),
    ];

    /// <summary>A page for a signed-in operator: skip link, navigation with the current section marked, sign-out form.</summary>
    public static ConsolePage Page(ConsoleOperator op, string section, string title, string body, int status = StatusCodes.Status200OK)
    {
        var html = new StringBuilder(4096);
        Head(html, title);
        html.Append("<header class=\"top\"><a class=\"brand\" href=\"/console/applications\">TokenService Console</a><nav " +
            "aria-label=\"Sections\"><ul>");
        foreach (var (path, label) in Navigation)
        {
            html.Append("<li><a href=\"").Append(path).Append('"').Append(path == section ? " aria-current=\"page\"" : "").Append('>')
                .Append(label).Append("</a></li>");
        }

        html.Append("</ul></nav><form method=\"post\" action=\"/console/sign-out\" class=\"signout\">").Append(op.AntiforgeryField)
            .Append("<span>").Append(E(op.User.Username)).Append(op.IsAdmin ? "" : " (read-only)").Append("</span>")
            .Append("<button type=\"submit\" class=\"link\">Sign out</button></form></header>");
        html.Append("<main id=\"main\"><h1>").Append(E(title)).Append("</h1>").Append(body).Append("</main>");
        return new ConsolePage(Close(html), status);
    }

    /// <summary>A page without navigation: sign-in, and the refusals a visitor without a session gets.</summary>
    public static ConsolePage Bare(string title, string body, int status = StatusCodes.Status200OK)
    {
        var html = new StringBuilder(2048);
        Head(html, title);
        html.Append("<main id=\"main\" class=\"narrow\"><h1>").Append(E(title)).Append("</h1>").Append(body).Append("</main>");
        return new ConsolePage(Close(html), status);
    }

    public static ConsolePage Message(ConsoleOperator? op, string title, string message, int status)
    {
        var body = $"<p class=\"error\" role=\"alert\">{E(message)}</p><p><a href=\"/console/applications\">Back to the Console</a></p>";
        return op is null ? Bare(title, body, status) : Page(op, "", title, body, status);
    }

    private static void Head(StringBuilder html, string title) =>
        html.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><meta name=\"referrer\" " +
                "content=\"no-referrer\">")
            .Append("<title>").Append(E(title)).Append(" · TokenService Console</title>")
            .Append("<link rel=\"stylesheet\" href=\"/console/console.css\"><script src=\"/console/console.js\" " +
                "defer></script></head><body>")
            .Append("<a class=\"skip\" href=\"#main\">Skip to content</a>");

    private static string Close(StringBuilder html) => html.Append("</body></html>").ToString();

    /// <summary>A labelled text input; with an error the field is marked invalid and the message is tied to it.</summary>
    public static string Field(string name, string label, string? value, string? error, string type = "text", string extra = "",
        string? hint = null)
    {
        var described = Describe(name, error, hint);
        return $"<div class=\"field\"><label for=\"{name}\">{E(label)}</label>{Hint(name, hint)}{ErrorText(name, error)}" +
               $"<input id=\"{name}\" name=\"{name}\" type=\"{type}\" value=\"{E(value)}\"{described}{extra}></div>";
    }

    public static string TextArea(string name, string label, string? value, string? error, string? hint = null)
    {
        var described = Describe(name, error, hint);
        return $"<div class=\"field\"><label for=\"{name}\">{E(label)}</label>{Hint(name, hint)}{ErrorText(name, error)}" +
               $"<textarea id=\"{name}\" name=\"{name}\" rows=\"3\"{described}>{E(value)}</textarea></div>";
    }

    public static string ErrorSummary(string? field, string? message) => message is null ? "" :
        $"<div class=\"error-summary\" role=\"alert\"><p>Nothing was saved: <a href=\"#{E(field)}\">{E(message)}</a></p></div>";

    public static string Chips(IEnumerable<string> values) =>
        string.Concat(values.Select(v => $"<span class=\"chip\">{E(v)}</span>"));

    public static string Time(DateTime? utc) => utc is { } t
        ? $"<time datetime=\"{t:yyyy-MM-ddTHH:mm:ssZ}\">{t:yyyy-MM-dd HH:mm} UTC</time>"
        : "—";

    private static string Describe(string name, string? error, string? hint)
    {
        var ids = new List<string>();
        if (hint is not null)
        {
            ids.Add(name + "-hint");
        }

        if (error is not null)
        {
            ids.Add(name + "-error");
        }

        return (ids.Count > 0 ? $" aria-describedby=\"{string.Join(' ', ids)}\"" : "") +
            (error is not null ? " aria-invalid=\"true\"" : "");
    }

    private static string Hint(string name, string? hint) => hint is null ? "" : $"<p class=\"hint\" id=\"{name}-hint\">{E(hint)}</p>";

    private static string ErrorText(string name, string? error) =>
        error is null ? "" : $"<p class=\"field-error\" id=\"{name}-error\">{E(error)}</p>";
}
