namespace Shared.Http;

/// <summary>
/// Holds a refused request for a fixed delay before it is answered (wall clock, no thread held). A closed-loop flood
/// on many connections would otherwise win a server's time by sheer number of requests, even at a few microseconds
/// each, and starve the callers who are served: held back, each connection of the flood retries once per delay, not
/// thousands of times a second. The caller was told to wait anyway (Retry-After). At most <see cref="MaxHeld"/> are
/// held at once; past that they are answered at once, so the tarpit's memory is bounded. Used by the TokenService's
/// failure limiter (429 at the token endpoint) and the ResourceApi's Basic exchange (429 and refused credentials).
/// </summary>
public sealed class RefusalTarpit(TimeSpan delay)
{
    public const int MaxHeld = 10_000;

    private int held;

    public TimeSpan Delay { get; } = delay > TimeSpan.Zero ? delay : TimeSpan.Zero;

    /// <summary>Refusals held right now (tests, metrics).</summary>
    public int Held => Volatile.Read(ref held);

    public async Task PauseAsync(CancellationToken ct)
    {
        if (Delay == TimeSpan.Zero)
        {
            return;
        }

        try
        {
            if (Interlocked.Increment(ref held) <= MaxHeld)
            {
                await Task.Delay(Delay, ct);
            }
        }
        catch (OperationCanceledException)
        {
            // The caller went away: nothing to answer.
        }
        finally
        {
            Interlocked.Decrement(ref held);
        }
    }
}
