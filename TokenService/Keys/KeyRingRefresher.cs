using Microsoft.Extensions.Options;
using Shared.Database;
using Shared.Hosting;

namespace TokenService.Keys;

/// <summary>
/// Loads the key ring at start (creating the first key on an empty database) and reloads it periodically, so a
/// key added by <c>keys rotate</c> or by another instance is published and then used without a restart.
/// While the database is unreachable, or the signing key does not open, the last snapshot stays in use.
/// </summary>
public sealed partial class KeyRingRefresher(
    SigningKeyStore store,
    KeyRing ring,
    IOptions<TokenServiceOptions> options,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<KeyRingRefresher> logger) : BackgroundService, IHostedLifecycleService
{
    // Opened private keys by kid: a reload does not re-import (and re-warm) a key it already has.
    private readonly Dictionary<string, TokenSigner> opened = [];

    // The periodic loop and change notifications both reload: one at a time.
    private readonly SemaphoreSlim reloading = new(1, 1);

    public SigningKeyLifecycle Lifecycle { get; } = new(
        TimeSpan.FromSeconds(options.Value.LongestAccessTokenLifetimeSeconds), TimeSpan.FromMinutes(5));

    /// <summary>
    /// The setting that stopped the service after it started: a KEK that does not open the keys, found only once the
    /// database answered (it did not at start). Program reports it as it reports a refusal at start: one line, exit 2.
    /// </summary>
    public SettingException? RefusedSetting { get; private set; }

    /// <summary>
    /// The first load, before any hosted service starts: so before Kestrel listens and before data protection writes a
    /// key of its own, sealed under this KEK, into the table every instance shares. A KEK that does not open the signing
    /// key stops the start here, and Program says so in one line (exit 2). Any other failure (the database not there
    /// yet) leaves it to the loop, as before: the service starts and /readyz answers 503 until the keys are loaded.
    /// </summary>
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await store.EnsureOneExistsAsync(cancellationToken);
            await ReloadAsync(atStart: true, cancellationToken);
        }
        catch (Exception e) when (e is not SettingException && !cancellationToken.IsCancellationRequested)
        {
            LogFailure(e);
        }
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(Math.Max(1, options.Value.KeyRefreshSeconds));
        if (ring.Current is not null)
        {
            // Loaded in StartingAsync: the next reload is one period away.
            await WaitAsync(delay, stoppingToken);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (ring.Current is null)
                {
                    // Never loaded: the database was not there at start, so the first key may still need making.
                    await store.EnsureOneExistsAsync(stoppingToken);
                }

                await ReloadAsync(stoppingToken);
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping (or disposed after a failed start): an exception here would be logged as a Critical host failure.
                return;
            }
            catch (SettingException e) when (ring.Current is null)
            {
                // Never loaded (the database was not there at start) and now the KEK does not open the keys: the same
                // refusal as at start, instead of answering 503 for ever and writing data-protection keys under it.
                RefusedSetting = e;
                lifetime.StopApplication();
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailure(e);
            }

            await WaitAsync(ring.Current is null ? TimeSpan.FromSeconds(1) : delay, stoppingToken);
        }
    }

    private async Task WaitAsync(TimeSpan delay, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(delay, time, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the loop sees the token.
        }
    }

    /// <summary>
    /// One line per failed load, never a stack trace for what an operator fixes outside the code: the database, or a
    /// key sealed under another KEK (already logged with its kid where it was found).
    /// </summary>
    private void LogFailure(Exception e)
    {
        if (e is SettingException)
        {
            return;
        }

        if (Postgres.IsUnavailable(e) || e is Npgsql.NpgsqlException)
        {
            LogDatabaseUnavailable(logger, e.Message);
        }
        else
        {
            LogReloadFailed(logger, e);
        }
    }

    /// <summary>Reads every key, decides which signs and which are published, and swaps the snapshot.</summary>
    public Task ReloadAsync(CancellationToken ct) => ReloadAsync(atStart: false, ct);

    private async Task ReloadAsync(bool atStart, CancellationToken ct)
    {
        await reloading.WaitAsync(ct);
        try
        {
            await ReloadOnceAsync(atStart, ct);
        }
        finally
        {
            reloading.Release();
        }
    }

    private async Task ReloadOnceAsync(bool atStart, CancellationToken ct)
    {
        var keys = await store.ListAsync(ct);
        var now = time.GetUtcNow();
        var signing = Lifecycle.CurrentSigningKey(keys, now)
            ?? throw new InvalidOperationException("no signing key is active; run `TokenService keys rotate`");
        if (!opened.TryGetValue(signing.Kid, out var signer))
        {
            try
            {
                signer = store.OpenSigner(signing);
            }
            catch (SettingException) when (!atStart)
            {
                // Running (a key added since under another KEK became the signing key): one line naming it per attempt,
                // and the last snapshot keeps signing. At start nothing is logged: Program prints the one line and exits.
                LogWrongKek(logger, signing.Kid);
                throw;
            }

            opened[signing.Kid] = signer;
        }

        var previous = ring.Current?.SigningKid;
        ring.Replace(new KeyRingSnapshot(signer, Lifecycle.Published(keys, now), now));
        ScheduleActivation(keys, now);
        if (previous != signing.Kid)
        {
            LogSigningKey(logger, signing.Kid);
        }
    }

    private ITimer? activation;

    /// <summary>
    /// A pending key starts signing at its activates_at: reload then, not up to KeyRefreshSeconds later (the change
    /// feed announced the key when it was added, while it was still pending).
    /// </summary>
    private void ScheduleActivation(IReadOnlyList<SigningKey> keys, DateTimeOffset now)
    {
        var next = keys.Where(k => k.RetiredAt is null && k.ActivatesAt > now.UtcDateTime).Select(k => k.ActivatesAt).DefaultIfEmpty().Min();
        var previous = Interlocked.Exchange(ref activation, next == default ? null : time.CreateTimer(
            _ => _ = ReloadQuietlyAsync(), null, next - now.UtcDateTime + TimeSpan.FromMilliseconds(20), Timeout.InfiniteTimeSpan));
        previous?.Dispose();
    }

    private async Task ReloadQuietlyAsync()
    {
        try
        {
            await ReloadAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The periodic refresh tries again.
            LogFailure(e);
        }
    }

    [LoggerMessage(1001, LogLevel.Information, "Signing with key {Kid}")]
    private static partial void LogSigningKey(ILogger logger, string kid);

    [LoggerMessage(1002, LogLevel.Warning, "Database unavailable while loading signing keys: {Reason}")]
    private static partial void LogDatabaseUnavailable(ILogger logger, string reason);

    [LoggerMessage(1003, LogLevel.Error, "Loading signing keys failed")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception);

    [LoggerMessage(1004, LogLevel.Critical,
        "Signing key {Kid} cannot be opened with the configured KEY_ENCRYPTION_KEY: was it added under another one? " +
        "Every instance and `keys rotate` need the same value")]
    private static partial void LogWrongKek(ILogger logger, string kid);
}
