using System.Collections.Concurrent;
using System.Net;

namespace TokenService.Authorize;

/// <summary>
/// Failed sign-ins per username and per client address, in fixed one-minute windows. Past either limit the form
/// answers 429 before any password is checked, which bounds online guessing for one account (5 a minute) and
/// spraying from one address (20 a minute). An attempt is counted before its password is hashed (like the client
/// limiter): a check made first and a failure recorded after let a concurrent burst through to Argon2 whole. A
/// successful sign-in gives its count back, so a user who signs in often is never held back. Counters live in this
/// process: with several instances the limit applies per instance.
/// </summary>
public sealed class LoginThrottle(TimeProvider time)
{
    public const int FailuresPerUsername = 5;
    public const int FailuresPerAddress = 20;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private const int MaxTrackedKeys = 100_000;

    private readonly ConcurrentDictionary<string, Counter> counters = new(StringComparer.Ordinal);

    private sealed class Counter(long windowStart)
    {
        public long WindowStart = windowStart;
        public int Count;
    }

    /// <summary>An attempt that was counted; <see cref="Succeeded"/> gives the count back.</summary>
    public readonly record struct Attempt(string UsernameKey, string AddressKey, long Window);

    /// <summary>
    /// Counts the attempt against both budgets in one step. Null attempt: either budget is spent, and the seconds
    /// to wait; nothing was counted then.
    /// </summary>
    public (Attempt? Attempt, int? RetryAfter) TryBegin(string username, IPAddress? address)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var window = now - now % (long)Window.TotalMilliseconds;
        if (counters.Count > MaxTrackedKeys)
        {
            foreach (var (key, counter) in counters.Where(c => Volatile.Read(ref c.Value.WindowStart) < window))
            {
                counters.TryRemove(new KeyValuePair<string, Counter>(key, counter));
            }
        }

        var user = UsernameKey(username);
        var ip = AddressKey(address);
        if (!Take(user, FailuresPerUsername, window))
        {
            return (null, Wait(now, window));
        }

        if (!Take(ip, FailuresPerAddress, window))
        {
            Give(user, window);
            return (null, Wait(now, window));
        }

        return (new Attempt(user, ip, window), null);
    }

    /// <summary>The password was right: this attempt does not count as a failure.</summary>
    public void Succeeded(Attempt attempt)
    {
        Give(attempt.UsernameKey, attempt.Window);
        Give(attempt.AddressKey, attempt.Window);
    }

    private bool Take(string key, int limit, long window)
    {
        var counter = counters.GetOrAdd(key, _ => new Counter(window));
        lock (counter)
        {
            if (counter.WindowStart != window)
            {
                counter.WindowStart = window;
                counter.Count = 0;
            }

            if (counter.Count >= limit)
            {
                return false;
            }

            counter.Count++;
            return true;
        }
    }

    private void Give(string key, long window)
    {
        if (counters.TryGetValue(key, out var counter))
        {
            lock (counter)
            {
                if (counter.WindowStart == window && counter.Count > 0)
                {
                    counter.Count--;
                }
            }
        }
    }

    private static int Wait(long now, long window) => Math.Max(1, (int)Math.Ceiling((window + Window.TotalMilliseconds - now) / 1000));

    // Usernames match case-insensitively, so their budget does too; very long input shares one bucket.
    private static string UsernameKey(string username) => "u:" + (username.Length > 100 ? "~long" : username.ToUpperInvariant());

    private static string AddressKey(IPAddress? address) => "a:" + (address?.ToString() ?? "unknown");
}
