using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;
using Shared.Http;

namespace TokenService.Token;

/// <summary>
/// Counts failed client authentications per client id and per client address in fixed windows. Past the limit,
/// requests that would need an Argon2id verification get 429 with Retry-After before any hashing, so a flood
/// of wrong secrets costs almost nothing; requests proven by the verified-secret cache are never held back.
/// Refusals are answered after a pause (<see cref="RefusalTarpit"/>), so a closed-loop flood cannot starve warm callers.
/// </summary>
public sealed class FailedAuthenticationLimiter(TimeProvider time, IOptions<TokenServiceOptions> options)
{
    /// <summary>Refusals (429) wait here before they are answered (RateLimitRefusalDelayMilliseconds).</summary>
    public RefusalTarpit Tarpit { get; } = new(TimeSpan.FromMilliseconds(options.Value.RateLimitRefusalDelayMilliseconds));

    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);
    public const int MaxFailuresPerClient = 20;
    public const int MaxFailuresPerAddress = 60;

    /// <summary>
    /// Verifications one address may have in flight at once: half the hasher's slots (at least one). A flood from one
    /// address then never holds every slot, so another caller's first verification or a background renewal of a
    /// proven secret is not queued behind it. Concurrent requests of one client id and secret are one verification.
    /// </summary>
    public static readonly int MaxPendingPerAddress = Math.Max(1, Environment.ProcessorCount / 2);
    private const int MaxTrackedKeys = 100_000;

    private readonly ConcurrentDictionary<string, Counter> counters = new(StringComparer.Ordinal);

    private sealed class Counter(long windowStart)
    {
        public long WindowStart = windowStart;
        public int Failures;

        /// <summary>Verifications begun and not yet ended: they hold a place in the budget, but are not failures.</summary>
        public int Pending;
    }

    private long refusals;

    /// <summary>Requests held back with 429 since start (metrics).</summary>
    public long Refusals => Interlocked.Read(ref refusals);

    /// <summary>
    /// Checks and reserves in one step, before the Argon2id work; null when the attempt may go ahead. A check made
    /// before any failure of a concurrent burst was recorded would let the whole burst through to hashing, so an
    /// attempt in flight holds a place (failures + pending ≤ limit). It becomes a failure only if <see cref="End"/>
    /// says so: a correct secret is never counted as a failure, in flight or after. Concurrent requests with one
    /// client id and secret share one attempt (single flight in <see cref="ClientAuthentication"/>), so a fleet
    /// of a valid client holds one place, not one per connection.
    /// </summary>
    public int? TryBegin(string clientId, IPAddress? address)
    {
        var now = NowPruned();
        var client = Reserve(ClientKey(clientId), MaxFailuresPerClient, now);
        if (client is not null)
        {
            Interlocked.Increment(ref refusals);
            return client;
        }

        if (address is not null && Reserve(AddressKey(address), MaxFailuresPerAddress, now, MaxPendingPerAddress) is { } ip)
        {
            End(ClientKey(clientId), failed: false, now);
            Interlocked.Increment(ref refusals);
            return ip;
        }

        return null;
    }

    /// <summary>Ends an attempt begun with <see cref="TryBegin"/>; only a failed one is counted.</summary>
    public void End(string clientId, IPAddress? address, bool failed)
    {
        var now = time.GetTimestamp();
        End(ClientKey(clientId), failed, now);
        if (address is not null)
        {
            End(AddressKey(address), failed, now);
        }
    }

    private static string ClientKey(string clientId) => "c:" + clientId;

    private static string AddressKey(IPAddress address) => "a:" + address;

    private int? Reserve(string key, int limit, long now, int maxPending = int.MaxValue)
    {
        var counter = counters.GetOrAdd(key, _ => new Counter(now));
        lock (counter)
        {
            var elapsed = StartWindow(counter, now);
            if (counter.Failures + counter.Pending >= limit)
            {
                return Math.Max(1, (int)Math.Ceiling((Window - elapsed).TotalSeconds));
            }

            if (counter.Pending >= maxPending)
            {
                // Busy, not over budget: try again in a second.
                return 1;
            }

            counter.Pending++;
            return null;
        }
    }

    private void End(string key, bool failed, long now)
    {
        if (counters.TryGetValue(key, out var counter))
        {
            lock (counter)
            {
                counter.Pending = Math.Max(0, counter.Pending - 1);
                StartWindow(counter, now);
                counter.Failures += failed ? 1 : 0;
            }
        }
    }

    /// <summary>Starts a new window when the current one is over; returns the time elapsed in the current one.</summary>
    private TimeSpan StartWindow(Counter counter, long now)
    {
        var elapsed = time.GetElapsedTime(counter.WindowStart, now);
        if (elapsed < Window)
        {
            return elapsed;
        }

        (counter.WindowStart, counter.Failures) = (now, 0);
        return TimeSpan.Zero;
    }

    /// <summary>Counts a failure that happened elsewhere (no attempt to let through).</summary>
    public void RecordFailure(string clientId, IPAddress? address)
    {
        var now = NowPruned();
        Count(ClientKey(clientId), now);
        if (address is not null)
        {
            Count(AddressKey(address), now);
        }
    }

    private void Count(string key, long now)
    {
        var counter = counters.GetOrAdd(key, _ => new Counter(now));
        lock (counter)
        {
            StartWindow(counter, now);
            counter.Failures++;
        }
    }

    private long NowPruned()
    {
        var now = time.GetTimestamp();
        if (counters.Count > MaxTrackedKeys)
        {
            Prune(now);
        }

        return now;
    }

    private void Prune(long now)
    {
        foreach (var (key, counter) in counters)
        {
            if (time.GetElapsedTime(counter.WindowStart, now) >= Window && Volatile.Read(ref counter.Pending) == 0)
            {
                counters.TryRemove(key, out _);
            }
        }
    }
}
