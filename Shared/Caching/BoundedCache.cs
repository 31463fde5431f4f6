using System.Collections.Concurrent;

namespace Shared.Caching;

/// <summary>
/// The one in-memory cache type of both services: entries expire at their own time (or never), and what the cache
/// holds is capped, so no caller (and no flood of made-up keys) can grow a process's memory without bound. The cap
/// counts entries, or, with <c>weigh</c>, units of each entry's own size (the GraphQL caches count characters of
/// query text, which is what a document's memory grows with). Past capacity the expired entries go first; if that
/// is not enough, arbitrary ones go until a tenth of the capacity is free (a few misses, never a full flush). A
/// value heavier than the whole capacity is not kept. Lookups are counted for metrics. Thread-safe; an entry is
/// replaced whole, never mutated.
/// </summary>
public sealed class BoundedCache<TKey, TValue>(int capacity, TimeProvider time, Func<TKey, TValue, int>? weigh = null)
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Entry> entries = new();
    private long weight;
    private long hits;
    private long misses;

    private sealed record Entry(TValue Value, DateTimeOffset ExpiresAt, int Weight);

    /// <summary>Entries, or units of weight when the cache weighs its values.</summary>
    public int Capacity { get; } = Math.Max(1, capacity);

    public int Count => entries.Count;

    /// <summary>What the entries weigh together (their number when the cache does not weigh).</summary>
    public long Weight => Interlocked.Read(ref weight);

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
        var entry = new Entry(value, expiresAt, Math.Max(1, weigh?.Invoke(key, value) ?? 1));
        if (expiresAt <= now || entry.Weight > Capacity)
        {
            return;
        }

        var replaced = entries.TryGetValue(key, out var current) ? current.Weight : 0;
        if (Weight - replaced + entry.Weight > Capacity)
        {
            MakeRoom(now, entry.Weight);
        }

        // Replace or add so that the weight follows exactly what the dictionary holds, even under concurrent sets.
        while (true)
        {
            if (entries.TryGetValue(key, out var old))
            {
                if (entries.TryUpdate(key, entry, old))
                {
                    Interlocked.Add(ref weight, entry.Weight - old.Weight);
                    return;
                }
            }
            else if (entries.TryAdd(key, entry))
            {
                Interlocked.Add(ref weight, entry.Weight);
                return;
            }
        }
    }

    public void Set(TKey key, TValue value, TimeSpan timeToLive) => Set(key, value, time.GetUtcNow() + timeToLive);

    /// <summary>Stores <paramref name="value"/> until capacity pushes it out (content that never goes stale).</summary>
    public void Set(TKey key, TValue value) => Set(key, value, DateTimeOffset.MaxValue);

    public void Remove(TKey key)
    {
        if (entries.TryRemove(key, out var old))
        {
            Interlocked.Add(ref weight, -old.Weight);
        }
    }

    public void Clear()
    {
        foreach (var key in entries.Keys)
        {
            Remove(key);
        }
    }

    private void MakeRoom(DateTimeOffset now, int needed)
    {
        foreach (var (key, entry) in entries)
        {
            if (entry.ExpiresAt <= now)
            {
                Remove(key);
            }
        }

        var target = Capacity - needed - (Capacity / 10);
        foreach (var key in entries.Keys)
        {
            if (Weight <= target)
            {
                break;
            }

            Remove(key);
        }
    }
}
