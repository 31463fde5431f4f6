using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Shared.Database;

namespace TokenService.Keys;

/// <summary>
/// Loads the key ring at start (creating the first key on an empty database) and reloads it periodically, so a
/// key added by <c>keys rotate</c> or by another instance is published and then used without a restart.
/// While the database is unreachable the last snapshot stays in use.
/// </summary>
public sealed partial class KeyRingRefresher(
    SigningKeyStore store,
    KeyRing ring,
    IOptions<TokenServiceOptions> options,
    TimeProvider time,
    ILogger<KeyRingRefresher> logger) : BackgroundService
{
    // Opened private keys by kid: a reload does not re-import (and re-warm) a key it already has.
    private readonly Dictionary<string, TokenSigner> opened = [];

    // The periodic loop and change notifications both reload: one at a time.
    private readonly SemaphoreSlim reloading = new(1, 1);

    public SigningKeyLifecycle Lifecycle { get; } = new(
        TimeSpan.FromSeconds(options.Value.LongestAccessTokenLifetimeSeconds), TimeSpan.FromMinutes(5));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(Math.Max(1, options.Value.KeyRefreshSeconds));
        var first = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (first)
                {
                    await store.EnsureOneExistsAsync(stoppingToken);
                }

                await ReloadAsync(stoppingToken);
                first = false;
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping (or disposed after a failed start): an exception here would be logged as a Critical host failure.
                return;
            }
            catch (Exception e) when (Postgres.IsUnavailable(e) || e is Npgsql.NpgsqlException)
            {
                LogDatabaseUnavailable(logger, e.Message);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogReloadFailed(logger, e);
            }

            try
            {
                await Task.Delay(ring.Current is null ? TimeSpan.FromSeconds(1) : delay, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Reads every key, decides which signs and which are published, and swaps the snapshot.</summary>
    public async Task ReloadAsync(CancellationToken ct)
    {
        await reloading.WaitAsync(ct);
        try
        {
            await ReloadOnceAsync(ct);
        }
        finally
        {
            reloading.Release();
        }
    }

    private async Task ReloadOnceAsync(CancellationToken ct)
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
            catch (CryptographicException)
            {
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
            LogReloadFailed(logger, e);
        }
    }

    [LoggerMessage(1001, LogLevel.Information, "Signing with key {Kid}")]
    private static partial void LogSigningKey(ILogger logger, string kid);

    [LoggerMessage(1002, LogLevel.Warning, "Database unavailable while loading signing keys: {Reason}")]
    private static partial void LogDatabaseUnavailable(ILogger logger, string reason);

    [LoggerMessage(1003, LogLevel.Error, "Loading signing keys failed")]
    private static partial void LogReloadFailed(ILogger logger, Exception exception);

    [LoggerMessage(1004, LogLevel.Critical,
        "Signing key {Kid} cannot be opened with the configured KEY_ENCRYPTION_KEY: is it the key this database was set up with?")]
    private static partial void LogWrongKek(ILogger logger, string kid);
}
