using Microsoft.Extensions.Options;
using Shared.Caching;

namespace ResourceApi.Data;

/// <summary>
/// Catalog reads (Metric and Data Pool lists and lookups) kept for <see cref="ResourceApiOptions.CatalogCacheMilliseconds"/>:
/// the bench profile showed the database round trip as most of a small query's time, and the catalog changes
/// rarely. A change through this instance clears the cache at once; another instance's change is seen within the
/// TTL (1 s by default; 0 turns the cache off). Data rows are never cached here, only the catalog describing them.
/// </summary>
internal sealed class CatalogCache
{
    private readonly BoundedCache<object, object> cache;
    private readonly TimeSpan ttl;

    public CatalogCache(IOptions<ResourceApiOptions> options, TimeProvider time)
    {
        cache = new BoundedCache<object, object>(10_000, time);
        ttl = TimeSpan.FromMilliseconds(Math.Max(0, options.Value.CatalogCacheMilliseconds));
    }

    /// <summary>The cached value, or <paramref name="load"/>'s (kept unless null; a failure is never kept).</summary>
    public async Task<T> GetAsync<T>(object key, Func<Task<T>> load)
    {
        if (ttl > TimeSpan.Zero && cache.TryGet(key, out var known))
        {
            return (T)known;
        }

        var value = await load();
        if (ttl > TimeSpan.Zero && value is not null)
        {
            cache.Set(key, value, ttl);
        }

        return value;
    }

    /// <summary>After any catalog change on this instance.</summary>
    public void Clear() => cache.Clear();
}
