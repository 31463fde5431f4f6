using Shared.Caching;
using Shared.Database;
using TokenService.Applications;

namespace TokenService.Caching;

/// <summary>
/// Application rows by client id, so a warm token request needs no database round trip. Entries are dropped
/// when <see cref="ChangeListener"/> announces a change (any instance, the CLI) and expire after
/// <see cref="TimeToLive"/> as a safety net. Unknown client ids are not cached: they are rate-limited instead.
/// While the database cannot be reached (a failover), a row it held before is served from <see cref="lastKnown"/>,
/// so warm client-credentials requests keep getting tokens (issue 18 point 3): the listener's reconnect empties the
/// cache because changes may have been missed, but none can commit while the database is away, and a row named in a
/// change notification (or deleted) is never served from there. Every token still passes the revocation list.
/// </summary>
public sealed class ApplicationCache(ApplicationStore store, TimeProvider time)
{
    public static readonly TimeSpan TimeToLive = TimeSpan.FromSeconds(60);
    public const int MaxEntries = 10_000;

    /// <summary>How long a row is kept for outages: longer than a failover, far shorter than a secret's life.</summary>
    public static readonly TimeSpan LastKnownTimeToLive = TimeSpan.FromMinutes(10);

    private readonly BoundedCache<string, Application> entries = new(MaxEntries, time);
    private readonly BoundedCache<string, Application> lastKnown = new(MaxEntries, time);
    private long generation;

    public long Hits => entries.Hits;

    /// <summary>Lookups that went to the database (metrics).</summary>
    public long Misses => entries.Misses;

    /// <summary>The cached row only; no database round trip.</summary>
    public Application? Cached(string clientId) => entries.TryGet(clientId, out var cached) ? cached : null;

    public async ValueTask<Application?> FindAsync(string clientId, CancellationToken ct)
    {
        if (entries.TryGet(clientId, out var cached))
        {
            return cached;
        }

        // A read that overlaps an invalidation may return the row as it was before the change: don't keep it.
        var generationBefore = Interlocked.Read(ref generation);
        Application? application;
        try
        {
            application = await store.FindByClientIdAsync(clientId, ct);
        }
        catch (Exception e) when (Postgres.IsUnavailable(e) && lastKnown.TryGet(clientId, out var known))
        {
            return known;
        }

        if (application is not null && Interlocked.Read(ref generation) == generationBefore)
        {
            entries.Set(clientId, application, TimeToLive);
            lastKnown.Set(clientId, application, LastKnownTimeToLive);
        }

        return application;
    }

    /// <summary>A change to this application (a notification, or this instance's own write): never served again as it was.</summary>
    public void Invalidate(string clientId)
    {
        Interlocked.Increment(ref generation);
        entries.Remove(clientId);
        lastKnown.Remove(clientId);
    }

    /// <summary>Unknown changes (the listener reconnected): read everything again, but keep the last known rows for an outage.</summary>
    public void Clear()
    {
        Interlocked.Increment(ref generation);
        entries.Clear();
    }
}
