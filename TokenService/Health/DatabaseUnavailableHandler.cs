using Microsoft.AspNetCore.Diagnostics;
using Shared.Database;
using Shared.Http;
using TokenService.Issuance;

namespace TokenService.Health;

/// <summary>
/// The one central place where "the database is not there right now" becomes HTTP: 503 with Retry-After instead of
/// a 500, for every endpoint that did not handle it itself (the token endpoint answers its own RFC 6749 error).
/// Runs inside UseExceptionHandler; anything else falls through to the default problem details 500.
/// </summary>
public sealed partial class DatabaseUnavailableHandler(ILogger<DatabaseUnavailableHandler> logger) : IExceptionHandler
{
    public const int RetryAfterSeconds = 1;

    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        if (!IsUnavailable(exception) || context.Response.HasStarted)
        {
            return false;
        }

        LogUnavailable(logger, exception.GetType().Name);
        context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        NoStore.Apply(context.Response);
        await context.Response.WriteAsJsonAsync(new
        {
            type = "https://www.rfc-editor.org/rfc/rfc9110#section-15.6.4",
            title = "the service is temporarily unavailable; retry shortly",
            status = StatusCodes.Status503ServiceUnavailable,
        }, ct);
        return true;
    }

    /// <summary>
    /// Npgsql failures of reaching the server (not SQL mistakes), a pool timeout, or keys never loaded; also inside
    /// another exception (data protection wraps what its key store throws in a CryptographicException).
    /// </summary>
    public static bool IsUnavailable(Exception exception) =>
        exception is KeysNotLoadedException || Postgres.IsUnavailable(exception) ||
        (exception.InnerException is { } inner && IsUnavailable(inner));

    [LoggerMessage(2901, LogLevel.Warning, "Request could not be served, the database is unavailable: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}
