using Shared.Caching;
using TokenService.Applications;

namespace TokenService.Caching;

/// <summary>
/// Application rows by client id, so a warm token request needs no database round trip. Entries are dropped
/// when <see cref="ChangeListener"/> announces a change (any instance, the CLI) and expire after
/// <see cref="TimeToLive"/> as a safety net. Unknown client ids are not cached: they are rate-limited instead.
/// </summary>
public sealed class ApplicationCache(ApplicationStore store, TimeProvider time)
{
    public static readonly TimeSpan TimeToLive = TimeSpan.FromSeconds(60);
    public const int MaxEntries = 10_000;

    private readonly BoundedCache<string, Application> entries = new(MaxEntries, time);
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
        var application = await store.FindByClientIdAsync(clientId, ct);
        if (application is not null && Interlocked.Read(ref generation) == generationBefore)
        {
            entries.Set(clientId, application, TimeToLive);
        }

        return application;
    }

    public void Invalidate(string clientId)
    {
        Interlocked.Increment(ref generation);
        entries.Remove(clientId);
    }

    public void Clear()
    {
        Interlocked.Increment(ref generation);
        entries.Clear();
    }
}
