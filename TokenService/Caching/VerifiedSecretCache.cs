using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Shared.Caching;
using TokenService.Applications;

namespace TokenService.Caching;

/// <summary>What the cache knows about a client's secret.</summary>
public enum SecretProof
{
    /// <summary>Nothing usable: an Argon2id verification decides.</summary>
    Unknown,

    /// <summary>Proven recently: no hashing.</summary>
    Proven,

    /// <summary>Proven, and past its renewal time: serve it, and let one background verification renew it.</summary>
    ProvenRenewalDue,
}

/// <summary>
/// Remembers that a client's secret passed Argon2id, so the next request with the same secret skips the hash.
/// It holds only HMAC-SHA256(per-process random key, secret) keyed by client id and secret version: never the
/// secret, never an unkeyed hash an attacker with a heap dump could brute-force offline. Only a successful
/// verification populates it; a rotation bumps the version (and invalidates), so an old secret never matches.
/// An entry lives <see cref="TimeToLive"/> (<c>ProvenSecretCacheSeconds</c>); from three quarters of that on it is
/// due for renewal, so under steady traffic it is re-proven in the background before it expires and no request
/// ever waits for Argon2id at expiry (no stampede).
/// </summary>
public sealed class VerifiedSecretCache(IOptions<TokenServiceOptions> options, TimeProvider time)
{
    public const int MaxEntries = 10_000;

    private readonly byte[] key = RandomNumberGenerator.GetBytes(32);
    private readonly BoundedCache<string, Entry> entries = new(MaxEntries, time);
    private long hits;
    private long misses;

    private sealed record Entry(int SecretVersion, byte[] Mac, DateTimeOffset RenewAt);

    /// <summary>"At most a few minutes": an entry missed by invalidation cannot outlive this.</summary>
    public TimeSpan TimeToLive { get; } = TimeSpan.FromSeconds(options.Value.ProvenSecretCacheSeconds);

    /// <summary>Lookups that skipped Argon2id since start (metrics).</summary>
    public long Hits => Interlocked.Read(ref hits);

    /// <summary>Lookups that found nothing usable, so Argon2id ran or was joined (metrics).</summary>
    public long Misses => Interlocked.Read(ref misses);

    public int Count => entries.Count;

    public SecretProof Check(Application application, string secret)
    {
        if (!entries.TryGet(application.ClientId, out var entry) || entry.SecretVersion != application.SecretVersion)
        {
            Interlocked.Increment(ref misses);
            return SecretProof.Unknown;
        }

        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Mac(secret, mac);
        if (!CryptographicOperations.FixedTimeEquals(mac, entry.Mac))
        {
            Interlocked.Increment(ref misses);
            return SecretProof.Unknown;
        }

        Interlocked.Increment(ref hits);
        return time.GetUtcNow() >= entry.RenewAt ? SecretProof.ProvenRenewalDue : SecretProof.Proven;
    }

    /// <summary>
    /// Whether this secret of this client passed Argon2id here before, whatever the secret version since: such a
    /// request is no guess, so it need not wait for a place in the failure limiter's budget (the row read again and
    /// <see cref="Check"/> still decide).
    /// </summary>
    public bool Matches(string clientId, string secret)
    {
        if (!entries.TryGet(clientId, out var entry))
        {
            return false;
        }

        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Mac(secret, mac);
        return CryptographicOperations.FixedTimeEquals(mac, entry.Mac);
    }

    /// <summary>Call only after Argon2id said yes.</summary>
    public void Remember(Application application, string secret)
    {
        var mac = new byte[HMACSHA256.HashSizeInBytes];
        Mac(secret, mac);
        var now = time.GetUtcNow();
        entries.Set(application.ClientId, new Entry(application.SecretVersion, mac, now + TimeToLive * 0.75), now + TimeToLive);
    }

    public void Invalidate(string clientId) => entries.Remove(clientId);

    public void Clear() => entries.Clear();

    // One keyed HMAC per thread, reset after each use: HMACSHA256.HashData set the key up again on every request.
    [ThreadStatic]
    private static (byte[] Key, IncrementalHash Hmac)? threadHmac;

    private void Mac(string secret, Span<byte> destination)
    {
        var maxBytes = Encoding.UTF8.GetMaxByteCount(secret.Length);
        Span<byte> utf8 = maxBytes <= 1024 ? stackalloc byte[maxBytes] : new byte[maxBytes];
        var length = Encoding.UTF8.GetBytes(secret, utf8);
        // Keyed by this cache's key: tests run several caches (hosts) in one process.
        if (threadHmac is not { } cached || !ReferenceEquals(cached.Key, key))
        {
            threadHmac?.Hmac.Dispose();
            threadHmac = cached = (key, IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key));
        }

        cached.Hmac.AppendData(utf8[..length]);
        cached.Hmac.GetHashAndReset(destination);
        CryptographicOperations.ZeroMemory(utf8[..length]);
    }
}
