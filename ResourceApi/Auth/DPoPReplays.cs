using System.Collections.Concurrent;

namespace ResourceApi.Auth;

/// <summary>
/// RFC 9449 s.11.1 at the resource server: a proof's jti is used once per key while its iat window lasts. Kept in this
/// instance's memory (the ResourceApi has no shared store of its own): behind a load balancer a proof could be replayed
/// once on each other instance within the minute, still only with the same token, method and URL (ath, htm, htu).
/// TryAdd makes the first use win even between concurrent requests. Bounded: past capacity the expired entries go,
/// and while it is still full, proofs are refused rather than remembered no more.
/// </summary>
internal sealed class DPoPReplays(TimeProvider time)
{
    public const int Capacity = 100_000;

    private readonly ConcurrentDictionary<string, DateTimeOffset> seen = new(StringComparer.Ordinal);

    /// <summary>True on first use of <paramref name="jti"/> by the key <paramref name="jkt"/>; false: a replay (or full).</summary>
    public bool TryUse(string jkt, string jti, DateTimeOffset expiresAt)
    {
        if (seen.Count >= Capacity)
        {
            var now = time.GetUtcNow();
            foreach (var (key, expiry) in seen)
            {
                if (expiry < now)
                {
                    seen.TryRemove(key, out _);
                }
            }

            if (seen.Count >= Capacity)
            {
                return false;
            }
        }

        return seen.TryAdd($"{jkt}:{jti}", expiresAt) || TakeOverExpired($"{jkt}:{jti}", expiresAt);
    }

    /// <summary>A row whose window has passed is no replay any more (such a proof fails its iat check first anyway).</summary>
    private bool TakeOverExpired(string key, DateTimeOffset expiresAt) =>
        seen.TryGetValue(key, out var old) && old < time.GetUtcNow() && seen.TryUpdate(key, expiresAt, old);
}
