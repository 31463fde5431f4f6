using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using TokenService.Applications;

namespace TokenService.Caching;

/// <summary>
/// Remembers that a client's secret passed Argon2id, so the next request with the same secret skips the hash.
/// It holds only HMAC-SHA256(per-process random key, secret) keyed by client id and secret version: never the
/// secret, never an unkeyed hash an attacker with a heap dump could brute-force offline. Only a successful
/// verification populates it; a rotation bumps the version (and invalidates), so an old secret never matches.
/// </summary>
public sealed class VerifiedSecretCache(TimeProvider time)
{
    /// <summary>"At most a few minutes": an entry missed by invalidation cannot outlive this.</summary>
    public static readonly TimeSpan TimeToLive = TimeSpan.FromMinutes(2);
    public const int MaxEntries = 10_000;

    private readonly byte[] key = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, Entry> entries = new(StringComparer.Ordinal);

    private sealed record Entry(int SecretVersion, byte[] Mac, long ExpiresAt);

    public bool Matches(Application application, string secret)
    {
        if (!entries.TryGetValue(application.ClientId, out var entry) || entry.SecretVersion != application.SecretVersion ||
            time.GetTimestamp() >= entry.ExpiresAt)
        {
            Interlocked.Increment(ref misses);
            return false;
        }

        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Mac(secret, mac);
        var matches = CryptographicOperations.FixedTimeEquals(mac, entry.Mac);
        Interlocked.Increment(ref matches ? ref hits : ref misses);
        return matches;
    }

    private long hits;
    private long misses;

    /// <summary>Lookups that skipped Argon2id since start (metrics).</summary>
    public long Hits => Interlocked.Read(ref hits);

    /// <summary>Lookups that found nothing usable, so Argon2id ran (metrics).</summary>
    public long Misses => Interlocked.Read(ref misses);

    /// <summary>Call only after Argon2id said yes.</summary>
    public void Remember(Application application, string secret)
    {
        if (entries.Count >= MaxEntries)
        {
            entries.Clear();
        }

        var mac = new byte[HMACSHA256.HashSizeInBytes];
        Mac(secret, mac);
        entries[application.ClientId] = new Entry(application.SecretVersion, mac,
            time.GetTimestamp() + (long)(TimeToLive.TotalSeconds * time.TimestampFrequency));
    }

    public void Invalidate(string clientId) => entries.TryRemove(clientId, out _);

    public void Clear() => entries.Clear();

    public int Count => entries.Count;

    private void Mac(string secret, Span<byte> destination)
    {
        var maxBytes = Encoding.UTF8.GetMaxByteCount(secret.Length);
        Span<byte> utf8 = maxBytes <= 1024 ? stackalloc byte[maxBytes] : new byte[maxBytes];
        var length = Encoding.UTF8.GetBytes(secret, utf8);
        HMACSHA256.HashData(key, utf8[..length], destination);
        CryptographicOperations.ZeroMemory(utf8[..length]);
    }
}
