namespace TokenService.Keys;

/// <summary>
/// The key lifecycle as small predicates over one clock. A key is published from creation, signs from
/// <c>activates_at</c> until a newer active key exists, and stays published after that for the access token
/// lifetime plus a margin, so no token it signed is ever rejected for want of its key.
/// </summary>
public sealed record SigningKeyLifecycle(TimeSpan AccessTokenLifetime, TimeSpan Margin)
{
    /// <summary>The key that signs now: the newest one already activated and not retired by an operator.</summary>
    public SigningKey? CurrentSigningKey(IEnumerable<SigningKey> keys, DateTimeOffset now) =>
        keys.Where(k => k.ActivatesAt <= now.UtcDateTime && k.RetiredAt is null)
            .OrderByDescending(k => k.ActivatesAt).ThenByDescending(k => k.CreatedAt)
            .FirstOrDefault();

    public KeyState StateOf(SigningKey key, IReadOnlyCollection<SigningKey> all, DateTimeOffset now)
    {
        var current = CurrentSigningKey(all, now);
        if (current is not null && current.Kid == key.Kid)
        {
            return KeyState.Active;
        }

        if (key.ActivatesAt > now.UtcDateTime && key.RetiredAt is null)
        {
            return KeyState.Pending;
        }

        // Stopped signing when it was retired, or when a newer key became current.
        var stoppedSigning = key.RetiredAt ?? (current is null ? now.UtcDateTime : Max(current.ActivatesAt, key.ActivatesAt));
        return now.UtcDateTime < stoppedSigning + AccessTokenLifetime + Margin ? KeyState.Retiring : KeyState.Expired;
    }

    public IReadOnlyList<SigningKey> Published(IReadOnlyCollection<SigningKey> keys, DateTimeOffset now) =>
        keys.Where(k => StateOf(k, keys, now) != KeyState.Expired).OrderByDescending(k => k.ActivatesAt).ToList();

    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;
}
