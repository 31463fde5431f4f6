using Npgsql;
using Shared.Hosting;
using TokenService.Caching;
using TokenService.Keys;

namespace TokenService.Changes;

/// <summary>
/// LISTENs on the <c>tokenservice_changes</c> channel (triggers in 0010_change_notifications.sql) and applies what
/// changed to this instance at once, whichever instance or tool made the change: application changes drop cache
/// entries, new revocations are read into the revocation list, and signing-key changes reload the key ring. After a lost
/// connection every cache is cleared on reconnect, since notifications sent meanwhile are gone.
/// </summary>
public sealed partial class ChangeListener(
    [FromKeyedServices(Shared.Database.Postgres.Direct)] NpgsqlDataSource db,
    ApplicationCache applications,
    VerifiedSecretCache secrets,
    KeyRingRefresher keys,
    Revocation.RevocationList revocations,
    ILogger<ChangeListener> logger) : BackgroundService
{
    public const string Channel = "tokenservice_changes";

    /// <summary>True while a LISTEN connection is up (for readiness and tests).</summary>
    public bool Listening { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await db.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) => Apply(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                // Whatever happened while we were not listening is unknown: start from an empty application cache.
                // Secret proofs stay: each is checked against the secret version of the row read again, so a rotation
                // missed meanwhile still voids it. Clearing them made every caller's next request an Argon2id
                // verification at once, and the burst from one address got 429 during a failover (FailoverTests).
                applications.Clear();
                _ = RefreshRevocationsAsync();
                Listening = true;
                LogListening(logger);
                while (!stoppingToken.IsCancellationRequested)
                {
                    // WaitAsync returns on a notification or after the timeout; the ping finds a dead connection.
                    if (!await connection.WaitAsync(TimeSpan.FromSeconds(5), stoppingToken))
                    {
                        await using var ping = new NpgsqlCommand("SELECT 1", connection);
                        await ping.ExecuteScalarAsync(stoppingToken);
                    }
                }
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping, or the data source disposed with a host that never started: nothing to report.
                return;
            }
            catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
            {
                Listening = false;
                LogDisconnected(logger, e.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(500), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void Apply(string payload)
    {
        if (payload.StartsWith("application:", StringComparison.Ordinal))
        {
            var clientId = payload["application:".Length..];
            applications.Invalidate(clientId);
            secrets.Invalidate(clientId);
        }
        else if (payload == "revocations")
        {
            // Incremental (by cursor) and off the notification thread; a burst of notifications costs a few reads.
            _ = RefreshRevocationsAsync();
        }
        else if (payload == "signing_keys")
        {
            _ = ReloadKeysAsync();
        }
    }

    private async Task ReloadKeysAsync()
    {
        try
        {
            // Off the notification thread; a failure is retried by the periodic refresh.
            await Task.Yield();
            await keys.ReloadAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
        {
            LogDisconnected(logger, e.Message);
        }
        catch (SettingException)
        {
            // A signing key this KEK does not open: the refresher logged it, naming the key, and keeps the last snapshot.
        }
    }

    private async Task RefreshRevocationsAsync()
    {
        try
        {
            await revocations.RefreshAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or IOException or TimeoutException or InvalidOperationException)
        {
            // The next notification, reconnect or feed request without a listener reads again from the same cursor.
            LogDisconnected(logger, e.Message);
        }
    }

    [LoggerMessage(3001, LogLevel.Information, "Listening for changes on " + Channel)]
    private static partial void LogListening(ILogger logger);

    [LoggerMessage(3002, LogLevel.Warning, "Change feed disconnected ({Reason}); caches are cleared on reconnect")]
    private static partial void LogDisconnected(ILogger logger, string reason);
}
