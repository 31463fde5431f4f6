using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Shared.Database;

/// <summary>
/// Checked once at start: does this process's pool, on top of what the server already serves and a reserve for
/// operators (psql, <c>TokenService migrate</c>, a new instance), fit under max_connections? If not, a warning names
/// the figures; the service still starts (the sum depends on other processes, which may shrink). A pool that is
/// exhausted later answers 503 with Retry-After (Npgsql's pool timeout counts as "unavailable", see
/// <see cref="Postgres.IsUnavailable"/>), never a driver error.
/// </summary>
public sealed partial class ConnectionBudget(NpgsqlDataSource db, ILogger<ConnectionBudget> logger) : BackgroundService
{
    /// <summary>Connections left for operators above every service's pool.</summary>
    public const int OpsReserve = 10;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var (fits, message) = await CheckAsync(db, stoppingToken);
            if (!fits)
            {
                LogOverBudget(logger, message);
            }
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping, or a host that never started being disposed: an exception here would be logged as a Critical
            // host failure, and the operator would read more than the one line naming the real problem.
        }
        catch (Exception e) when (Postgres.IsUnavailable(e))
        {
            // Readiness reports an unreachable database; this check is advice only.
        }
        catch (Exception e) when (e is PostgresException or InvalidOperationException or OperationCanceledException)
        {
            // Advice only, so it never stops the host: a query refused by the server (a short statement_timeout,
            // missing rights on pg_stat_activity) leaves the budget unchecked, said once.
            LogCheckFailed(logger, e.Message);
        }
    }

    /// <summary>True when pool + others' connections + reserves fit; the message states the sum either way.</summary>
    public static async Task<(bool Fits, string Message)> CheckAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        var pool = new NpgsqlConnectionStringBuilder(db.ConnectionString).MaxPoolSize;
        var applicationName = new NpgsqlConnectionStringBuilder(db.ConnectionString).ApplicationName ?? "";
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var command = new NpgsqlCommand("""
            SELECT current_setting('max_connections')::int,
                   current_setting('superuser_reserved_connections')::int + coalesce(current_setting('reserved_connections', true)::int, 0),
                   (SELECT count(*)::int FROM pg_stat_activity WHERE backend_type = 'client backend' AND application_name <> @name)
            """, connection);
        command.Parameters.AddWithValue("name", applicationName);
        await using var reader = await command.ExecuteReaderAsync(ct);
        await reader.ReadAsync(ct);
        var (max, reserved, others) = (reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2));
        var needed = pool + others + OpsReserve + reserved;
        return (needed <= max, $"pool {pool} ({applicationName}) + {others} connections of other clients now + ops reserve {OpsReserve} " +
                               $"+ server reserved {reserved} = {needed}, max_connections {max}");
    }

    [LoggerMessage(2951, LogLevel.Warning, "Connection budget not checked: {Reason}")]
    private static partial void LogCheckFailed(ILogger logger, string reason);

    [LoggerMessage(2950, LogLevel.Warning,
        "Connection budget exceeded: {Figures}. Lower Maximum Pool Size in DATABASE_URL or raise max_connections (docs/operations.md)")]
    private static partial void LogOverBudget(ILogger logger, string figures);
}
