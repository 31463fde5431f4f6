using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Shared.Hosting;

namespace Shared.Observability;

/// <summary>
/// Both services log the same way. In production one JSON object per line on stdout, with scopes: ASP.NET Core's
/// request scope puts the RequestId (HttpContext.TraceIdentifier) and path on every line written while a request runs,
/// and activity tracking adds the W3C trace id, so a line can be tied to its request and across services.
/// <c>Logging:Format</c> (<c>Logging__Format=text</c>, as <c>make run</c> sets it) gives one human-readable line
/// instead. What is logged stays the [LoggerMessage] templates: never tokens, secrets or Authorization headers.
/// </summary>
public static class ServiceLogging
{
    public const string FormatKey = "Logging:Format";

    public static ILoggingBuilder AddServiceLogs(this ILoggingBuilder logging, IConfiguration configuration)
    {
        var format = configuration[FormatKey];
        if (string.Equals(format, "text", StringComparison.OrdinalIgnoreCase))
        {
            logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
                o.ColorBehavior = LoggerColorBehavior.Default;
            });
        }
        else if (string.IsNullOrEmpty(format) || string.Equals(format, "json", StringComparison.OrdinalIgnoreCase))
        {
            logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.JsonWriterOptions = new JsonWriterOptions { Indented = false };
            });
        }
        else
        {
            throw new SettingException("Logging__Format", "expected json (the default) or text");
        }

        logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        // RedirectResult logs its target URL at Information: for /oauth2/authorize that URL carries the authorization
        // code. More specific than any "Microsoft.AspNetCore" level an operator sets, so turning that up never leaks codes.
        logging.AddFilter("Microsoft.AspNetCore.Http.Result.RedirectResult", LogLevel.Warning);
        // "Hosting failed to start" logs the start-up exception with its stack trace; Program reports the same failure
        // as one line naming the setting (OperatorError), so only the host's Critical lines are kept.
        logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        return logging;
    }
}
