using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Shared.Observability;

/// <summary>
/// Both services log the same way: one JSON object per log line on stdout, with scopes: ASP.NET Core's request scope puts the RequestId
/// (HttpContext.TraceIdentifier) and path on every line written while a request runs, and activity tracking adds
/// the W3C trace id, so a line can be tied to its request and across services. What is logged stays the
/// [LoggerMessage] templates: never tokens, secrets or Authorization headers.
/// </summary>
public static class JsonLogging
{
    public static ILoggingBuilder AddJsonLogs(this ILoggingBuilder logging)
    {
        logging.AddJsonConsole(o =>
        {
            o.IncludeScopes = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            o.JsonWriterOptions = new JsonWriterOptions { Indented = false };
        });
        logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        // RedirectResult logs its target URL at Information: for /oauth2/authorize that URL carries the authorization
        // code. More specific than any "Microsoft.AspNetCore" level an operator sets, so turning that up never leaks codes.
        logging.AddFilter("Microsoft.AspNetCore.Http.Result.RedirectResult", LogLevel.Warning);
        return logging;
    }
}
