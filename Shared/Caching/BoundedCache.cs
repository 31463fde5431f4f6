using System.Collections.Concurrent;

namespace Shared.Caching;

/// <summary>
/// The one in-memory cache type of both services: entries expire at their own time, and the number of entries is
/// capped, so no caller (and no flood of made-up keys) can grow a process's memory without bound. Past capacity the
/// expired entries go first; if that is not enough, an arbitrary tenth goes too (a few misses, never a full flush).
/// Lookups are counted for metrics. Thread-safe; an entry is replaced whole, never mutated.
/// </summary>
public sealed class BoundedCache<TKey, TValue>(int capacity, TimeProvider time)
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Entry> entries = new();
    private long hits;
    private long misses;

    private sealed record Entry(TValue Value, DateTimeOffset ExpiresAt);

    public int Capacity { get; } = Math.Max(1, capacity);

    public int Count => entries.Count;

    /// <summary>Lookups that found an unexpired entry since start (metrics).</summary>
    public long Hits => Interlocked.Read(ref hits);

    /// <summary>Lookups that found nothing usable since start (metrics).</summary>
    public long Misses => Interlocked.Read(ref misses);

    public bool TryGet(TKey key, out TValue value) => TryGet(key, out value, out _);

    /// <summary>The value and its expiry while it has not expired (as of the cache's clock).</summary>
    public bool TryGet(TKey key, out TValue value, out DateTimeOffset expiresAt)
    {
        if (entries.TryGetValue(key, out var entry) && time.GetUtcNow() < entry.ExpiresAt)
        {
            Interlocked.Increment(ref hits);
            (value, expiresAt) = (entry.Value, entry.ExpiresAt);
            return true;
        }

        Interlocked.Increment(ref misses);
        (value, expiresAt) = (default!, default);
        return false;
    }

    /// <summary>Stores <paramref name="value"/> until <paramref name="expiresAt"/>; an already expired one is not kept.</summary>
    public void Set(TKey key, TValue value, DateTimeOffset expiresAt)
    {
        var now = time.GetUtcNow();
        if (expiresAt <= now)
        {
            return;
        }

        if (entries.Count >= Capacity && !entries.ContainsKey(key))
        {
            MakeRoom(now);
        }

        entries[key] = new Entry(value, expiresAt);
    }

    public void Set(TKey key, TValue value, TimeSpan timeToLive) => Set(key, value, time.GetUtcNow() + timeToLive);

    public void Remove(TKey key) => entries.TryRemove(key, out _);

    public void Clear() => entries.Clear();

    private void MakeRoom(DateTimeOffset now)
    {
        foreach (var (key, entry) in entries)
        {
            if (entry.ExpiresAt <= now)
            {
                entries.TryRemove(key, out _);
            }
        }

        if (entries.Count < Capacity)
        {
            return;
        }

        var excess = entries.Count - Capacity + Math.Max(1, Capacity / 10);
        foreach (var key in entries.Keys)
        {
            if (excess-- <= 0)
            {
                break;
            }

            entries.TryRemove(key, out _);
        }
    }
}
