using System.Collections.Concurrent;
using TokenService.Applications;

namespace TokenService.Caching;

/// <summary>
/// Application rows by client id, so a warm token request needs no database round trip. Entries are dropped
/// when <see cref="ChangeFeed"/> announces a change (any instance, the CLI) and expire after
/// <see cref="TimeToLive"/> as a safety net. Unknown client ids are not cached: they are rate-limited instead.
/// </summary>
public sealed class ApplicationCache(ApplicationStore store, TimeProvider time)
{
    public static readonly TimeSpan TimeToLive = TimeSpan.FromSeconds(60);
    public const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);

    private sealed record Entry(Application Application, long ExpiresAt);

    public long Hits => Interlocked.Read(ref hits);

    /// <summary>Lookups that went to the database (metrics).</summary>
    public long Misses => Interlocked.Read(ref misses);

    private long hits;
    private long misses;
    private long generation;

    public async ValueTask<Application?> FindAsync(string clientId, CancellationToken ct)
    {
        var now = time.GetTimestamp();
        if (entries.TryGetValue(clientId, out var entry) && now < entry.ExpiresAt)
        {
            Interlocked.Increment(ref hits);
            return entry.Application;
        }

        Interlocked.Increment(ref misses);
        // A read that overlaps an invalidation may return the row as it was before the change: don't keep it.
        var generationBefore = Interlocked.Read(ref generation);
        var application = await store.FindByClientIdAsync(clientId, ct);
        if (application is not null && Interlocked.Read(ref generation) == generationBefore)
        {
            if (entries.Count >= MaxEntries)
            {
                entries.Clear();
            }

            entries[clientId] = new Entry(application, now + (long)(TimeToLive.TotalSeconds * time.TimestampFrequency));
        }

        return application;
    }

    public void Invalidate(string clientId)
    {
        Interlocked.Increment(ref generation);
        entries.TryRemove(clientId, out _);
    }

    public void Clear()
    {
        Interlocked.Increment(ref generation);
        entries.Clear();
    }
}
