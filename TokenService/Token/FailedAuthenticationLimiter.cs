using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;

namespace TokenService.Token;

/// <summary>
/// Counts failed client authentications per client id and per client address in fixed windows. Past the limit,
/// requests that would need an Argon2id verification get 429 with Retry-After before any hashing, so a flood
/// of wrong secrets costs almost nothing; requests proven by the verified-secret cache are never held back.
/// Refusals are answered after a pause (a tarpit): a closed-loop flood on many connections would otherwise
/// win the server's time by sheer number of requests, even at a few microseconds each, and starve warm callers.
/// </summary>
public sealed class FailedAuthenticationLimiter(TimeProvider time, IOptions<TokenServiceOptions> options)
{
    /// <summary>Refusals held at once; past this they are answered at once, so the tarpit's memory is bounded.</summary>
    public const int MaxPaused = 10_000;

    private readonly TimeSpan refusalDelay = TimeSpan.FromMilliseconds(Math.Max(0, options.Value.RateLimitRefusalDelayMilliseconds));
    private int paused;

    /// <summary>
    /// Holds a refused request for the configured delay (wall clock, no thread held). The caller was told to wait
    /// anyway (Retry-After); a client that retries at once now does so once a second per connection, not thousands.
    /// </summary>
    public async Task PauseBeforeRefusalAsync(CancellationToken ct)
    {
        if (refusalDelay <= TimeSpan.Zero || Interlocked.Increment(ref paused) > MaxPaused)
        {
            if (refusalDelay > TimeSpan.Zero)
            {
                Interlocked.Decrement(ref paused);
            }

            return;
        }

        try
        {
            await Task.Delay(refusalDelay, ct);
        }
        catch (OperationCanceledException)
        {
            // The caller went away: nothing to answer.
        }
        finally
        {
            Interlocked.Decrement(ref paused);
        }
    }

    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);
    public const int MaxFailuresPerClient = 20;
    public const int MaxFailuresPerAddress = 60;
    private const int MaxTrackedKeys = 100_000;

    private readonly ConcurrentDictionary<string, Counter> counters = new(StringComparer.Ordinal);

    private sealed class Counter(long windowStart)
    {
        public long WindowStart = windowStart;
        public int Failures;
    }

    private long refusals;

    /// <summary>Requests held back with 429 since start (metrics).</summary>
    public long Refusals => Interlocked.Read(ref refusals);

    /// <summary>
    /// Checks and counts in one step, before the Argon2id work; null when the attempt may go ahead. A check made
    /// before any failure of a concurrent burst was recorded let the whole burst through to hashing; counting the
    /// attempt up front closes that. Call <see cref="Forgive"/> when the attempt succeeds.
    /// </summary>
    public int? TryBegin(string clientId, IPAddress? address)
    {
        var now = NowPruned();
        var client = Take("c:" + clientId, MaxFailuresPerClient, now);
        var ip = address is null ? null : Take("a:" + address, MaxFailuresPerAddress, now);
        if (client is null && ip is null)
        {
            return null;
        }

        Interlocked.Increment(ref refusals);
        return Math.Max(client ?? 0, ip ?? 0);
    }

    /// <summary>Un-counts an attempt begun with <see cref="TryBegin"/> that proved the secret: only failures count.</summary>
    public void Forgive(string clientId, IPAddress? address)
    {
        Decrement("c:" + clientId);
        if (address is not null)
        {
            Decrement("a:" + address);
        }
    }

    private int? Take(string key, int limit, long now)
    {
        var counter = counters.GetOrAdd(key, _ => new Counter(now));
        lock (counter)
        {
            var elapsed = time.GetElapsedTime(counter.WindowStart, now);
            if (elapsed >= Window)
            {
                (counter.WindowStart, counter.Failures, elapsed) = (now, 0, TimeSpan.Zero);
            }

            if (counter.Failures >= limit)
            {
                return Math.Max(1, (int)Math.Ceiling((Window - elapsed).TotalSeconds));
            }

            counter.Failures++;
            return null;
        }
    }

    private void Decrement(string key)
    {
        if (counters.TryGetValue(key, out var counter))
        {
            lock (counter)
            {
                counter.Failures = Math.Max(0, counter.Failures - 1);
            }
        }
    }

    /// <summary>Counts a failure that happened elsewhere (no attempt to let through): as <see cref="TryBegin"/> without the check.</summary>
    public void RecordFailure(string clientId, IPAddress? address)
    {
        var now = NowPruned();
        Take("c:" + clientId, int.MaxValue, now);
        if (address is not null)
        {
            Take("a:" + address, int.MaxValue, now);
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
            if (time.GetElapsedTime(counter.WindowStart, now) >= Window)
            {
                counters.TryRemove(key, out _);
            }
        }
    }
}
