using System.Diagnostics;

namespace Bench;

/// <summary>
/// One worker's latencies in Stopwatch ticks. Preallocated and only ever appended to by its own worker, so the
/// hot loop takes no lock and allocates nothing until a window outgrows the first block.
/// </summary>
internal sealed class LatencyLog(int capacity = 1 << 15)
{
    private long[] ticks = new long[capacity];

    public int Count { get; private set; }

    public void Add(long elapsedTicks)
    {
        if (Count == ticks.Length)
        {
            Array.Resize(ref ticks, ticks.Length * 2);
        }

        ticks[Count++] = elapsedTicks;
    }

    public ReadOnlySpan<long> Values => ticks.AsSpan(0, Count);
}

/// <summary>Every recorded latency of a run, sorted once, so percentiles are exact rather than bucketed.</summary>
internal sealed class LatencySummary
{
    private readonly long[] sorted;

    public LatencySummary(IEnumerable<LatencyLog> logs)
    {
        sorted = logs.SelectMany(l => l.Values.ToArray()).ToArray();
        Array.Sort(sorted);
    }

    public LatencySummary(IEnumerable<double> milliseconds)
    {
        sorted = milliseconds.Select(ms => (long)(ms * Stopwatch.Frequency / 1000.0)).ToArray();
        Array.Sort(sorted);
    }

    public int Count => sorted.Length;

    /// <summary>Nearest-rank percentile in milliseconds (q in 0..1); NaN when nothing was recorded.</summary>
    public double Percentile(double q)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(q * sorted.Length);
        return ToMs(sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)]);
    }

    public double Max => sorted.Length == 0 ? double.NaN : ToMs(sorted[^1]);

    public static double ToMs(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
