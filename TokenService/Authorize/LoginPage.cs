using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Shared.Http;
using Shared.Protocol;

namespace TokenService.Authorize;

/// <summary>
/// An HTML response with the headers every page of ours carries: a CSP that allows nothing but our own inline
/// stylesheet (by hash) and form posts to ourselves, no framing (clickjacking), no referrer (the query holds the
/// authorization request), no caching.
/// </summary>
public sealed record HtmlPage(string Html, int StatusCode = StatusCodes.Status200OK) : IResult
{
    public int? RetryAfter { get; init; }

    /// <summary>
    /// The origin of the validated redirect URI. Chromium applies form-action to the redirects that follow a form
    /// post (CSP3 s.6.3.1), so the login form must be allowed to end at the client; only that one origin is added.
    /// </summary>
    public string? RedirectOrigin { get; init; }

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        response.ContentType = "text/html; charset=utf-8";
        var formAction = RedirectOrigin is null ? "'self'" : $"'self' {RedirectOrigin}";
        response.Headers.ContentSecurityPolicy =
            $"default-src 'none'; style-src {LoginPage.StyleHash}; form-action {formAction}; frame-ancestors 'none'; base-uri 'none'";
        response.Headers.XFrameOptions = "DENY";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.XContentTypeOptions = "nosniff";
        NoStore.Apply(response);
        if (RetryAfter is { } seconds)
        {
            response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        }

        return response.WriteAsync(Html, Encoding.UTF8);
    }
}

/// <summary>The login form and the error pages, rendered on the server; every value written is HTML-encoded.</summary>
public static class LoginPage
{
    public const string InvalidCredentials = "Invalid username or password";

    private const string Style = """
        body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;display:flex;justify-content:center}
        main{background:#fff;margin-top:10vh;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002;width:20rem}
        h1{font-size:1.4rem;margin:0 0 .25rem}p{margin:.25rem 0 1rem;color:#444}
        label{display:block;margin-top:.75rem;font-size:.9rem}
        input{width:100%;box-sizing:border-box;padding:.5rem;margin-top:.25rem;font-size:1rem}
        button{margin-top:1.25rem;width:100%;padding:.6rem;font-size:1rem;background:#2457c5;color:#fff;border:0;border-radius:4px}
        .error{color:#a00;font-weight:600}
        """;

    /// <summary>CSP3 hash source for the inline stylesheet: no 'unsafe-inline' needed.</summary>
    public static readonly string StyleHash = $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(Style)))}'";

    private static readonly HtmlEncoder Encoder = HtmlEncoder.Default;

    public static HtmlPage Form(
        AuthorizeRequest request, string applicationName, string antiforgeryField, string antiforgeryToken, string? username, bool failed)
    {
        var html = new StringBuilder(2048);
        html.Append(Head("Sign in"));
        html.Append("<h1>Sign in</h1><p>to continue to <strong>").Append(Encoder.Encode(applicationName)).Append("</strong></p>");
        if (failed)
        {
            html.Append("<p class=\"error\" role=\"alert\">").Append(InvalidCredentials).Append("</p>");
        }

        // Relative action: the form posts back to /oauth2/authorize wherever the service is mounted.
        html.Append("<form method=\"post\" action=\"authorize\">");
        foreach (var (name, value) in request.Values)
        {
            Hidden(html, name, value);
        }

        Hidden(html, antiforgeryField, antiforgeryToken);
        html.Append("<label for=\"username\">Username</label><input id=\"username\" name=\"").Append(Parameters.Username)
            .Append("\" autocomplete=\"username\" required autofocus value=\"").Append(Encoder.Encode(username ?? "")).Append("\">");
        html.Append("<label for=\"password\">Password</label><input id=\"password\" name=\"").Append(Parameters.Password)
            .Append("\" type=\"password\" autocomplete=\"current-password\" required>");
        html.Append("<button type=\"submit\">Sign in</button></form></main></body></html>");
        return new HtmlPage(html.ToString()) { RedirectOrigin = OriginOf(request.RedirectUri) };
    }

    /// <summary>A dead end: shown when the browser must not be sent back to the client (RFC 6749 s.4.1.2.1).</summary>
    public static HtmlPage Error(string message, int statusCode = StatusCodes.Status400BadRequest) =>
        new($"{Head("Sign-in error")}<h1>Sign-in error</h1><p class=\"error\">{Encoder.Encode(message)}</p></main></body></html>", statusCode);

    public static HtmlPage TooManyAttempts(int retryAfterSeconds) =>
        Error($"Too many failed sign-in attempts. Try again in {retryAfterSeconds} seconds.", StatusCodes.Status429TooManyRequests)
            with
        { RetryAfter = retryAfterSeconds };

    private static string Head(string title) =>
        $"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">" +
        $"<meta name=\"referrer\" content=\"no-referrer\"><title>{title}</title><style>{Style}</style></head><body><main>";

    private static void Hidden(StringBuilder html, string name, string value) =>
        html.Append("<input type=\"hidden\" name=\"").Append(Encoder.Encode(name)).Append("\" value=\"").Append(Encoder.Encode(value)).Append("\">");

    private static string? OriginOf(string? uri) =>
        Uri.TryCreate(uri, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https"
            ? parsed.GetLeftPart(UriPartial.Authority)
            : Uri.TryCreate(uri, UriKind.Absolute, out var custom) ? custom.Scheme + ":" : null;
}
