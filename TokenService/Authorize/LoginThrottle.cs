using System.Net;
using System.Threading.RateLimiting;

namespace TokenService.Authorize;

/// <summary>
/// Failed sign-ins per username and per client address, in fixed one-minute windows. Past either limit the form
/// answers 429 before any password is checked, which bounds online guessing for one account (5 a minute) and
/// spraying from one address (20 a minute). Only failures count, so a user who signs in often is never held back.
/// Counters live in this process: with several instances the limit applies per instance.
/// </summary>
public sealed class LoginThrottle : IDisposable
{
    public const int FailuresPerUsername = 5;
    public const int FailuresPerAddress = 20;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly PartitionedRateLimiter<string> byUsername = Create(FailuresPerUsername);
    private readonly PartitionedRateLimiter<string> byAddress = Create(FailuresPerAddress);

    /// <summary>Seconds to wait when either budget is spent, else null. Asking costs no permit.</summary>
    public int? RetryAfter(string username, IPAddress? address)
    {
        using var user = byUsername.AttemptAcquire(UsernameKey(username), 0);
        using var ip = byAddress.AttemptAcquire(AddressKey(address), 0);
        if (user.IsAcquired && ip.IsAcquired)
        {
            return null;
        }

        var wait = new[] { user, ip }.Where(l => !l.IsAcquired)
            .Select(l => l.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : Window).Max();
        return Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
    }

    public void RecordFailure(string username, IPAddress? address)
    {
        byUsername.AttemptAcquire(UsernameKey(username)).Dispose();
        byAddress.AttemptAcquire(AddressKey(address)).Dispose();
    }

    public void Dispose()
    {
        byUsername.Dispose();
        byAddress.Dispose();
    }

    // Usernames match case-insensitively, so their budget does too; very long input shares one bucket.
    private static string UsernameKey(string username) => username.Length > 100 ? "~long" : username.ToUpperInvariant();

    private static string AddressKey(IPAddress? address) => address?.ToString() ?? "unknown";

    private static PartitionedRateLimiter<string> Create(int failures) =>
        PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = failures,
            Window = Window,
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
}
