using System.Globalization;

namespace Bench;

/// <summary>The processes whose CPU time is accounted per window; pid 0 means "not running".</summary>
internal sealed record Processes(int TokenService, int ResourceApi, int PostgreSql)
{
    public int Self { get; } = Environment.ProcessId;
}

/// <summary>
/// CPU time from /proc in clock ticks. USER_HZ is 100 on every Linux this runs on (the kernel ABI fixes it for
/// /proc), so ticks / 100 / seconds = cores busy.
/// </summary>
internal sealed record CpuSnapshot(long TokenService, long ResourceApi, long PostgreSql, long Self, long MachineBusy, long MachineAll)
{
    private const double TicksPerSecond = 100;

    public static CpuSnapshot Take(Processes p) =>
        new(ProcessTicks(p.TokenService), ProcessTicks(p.ResourceApi), TreeTicks(p.PostgreSql), ProcessTicks(p.Self),
            MachineTicks(busyOnly: true), MachineTicks(busyOnly: false));

    public CpuUsage Since(CpuSnapshot before)
    {
        // Wall time from the machine's own counters (all ticks across all cores / cores), so both ends agree.
        var seconds = (MachineAll - before.MachineAll) / TicksPerSecond / Environment.ProcessorCount;
        double Cores(long ticks) => seconds <= 0 ? 0 : ticks / TicksPerSecond / seconds;
        var ts = Cores(TokenService - before.TokenService);
        var api = Cores(ResourceApi - before.ResourceApi);
        var pg = Cores(PostgreSql - before.PostgreSql);
        var self = Cores(Self - before.Self);
        var busy = Cores(MachineBusy - before.MachineBusy);
        return new CpuUsage(ts, api, pg, self, Math.Max(0, busy - ts - api - pg - self), busy);
    }

    /// <summary>
    /// PostgreSQL runs one process per connection under the postmaster: sum the postmaster and its children.
    /// The services' pools keep their connections open, so backends live through a window.
    /// </summary>
    private static long TreeTicks(int root)
    {
        if (root <= 0)
        {
            return 0;
        }

        long total = ProcessTicks(root);
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid) && pid != root && ParentOf(pid) == root)
            {
                total += ProcessTicks(pid);
            }
        }

        return total;
    }

    private static int ParentOf(int pid)
    {
        try
        {
            return int.Parse(StatFields(pid)[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Fields of /proc/pid/stat after the ")" that ends the name: [0] is state (field 3), [1] ppid.</summary>
    private static string[] StatFields(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    }

    /// <summary>utime + stime, fields 14 and 15 of /proc/pid/stat (counted after the ")" that ends the name).</summary>
    private static long ProcessTicks(int pid)
    {
        if (pid <= 0)
        {
            return 0;
        }

        try
        {
            var fields = StatFields(pid);
            return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            // Gone (a short-lived process, or a service that exited): it used nothing more.
            return 0;
        }
    }

    /// <summary>The "cpu" line of /proc/stat: user nice system idle iowait irq softirq steal ...</summary>
    private static long MachineTicks(bool busyOnly)
    {
        var line = File.ReadLines("/proc/stat").First(l => l.StartsWith("cpu ", StringComparison.Ordinal));
        var values = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
            .Select(v => long.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        return busyOnly ? values.Sum() - values[3] - values[4] : values.Sum();
    }
}

/// <summary>Cores busy during a window: each service, PostgreSQL, this load generator, everything else (kernel, other jobs).</summary>
internal sealed record CpuUsage(double TokenService, double ResourceApi, double PostgreSql, double Bench, double Other, double Total)
{
    public string Describe(bool withApi) => string.Create(CultureInfo.InvariantCulture,
        $"TokenService {TokenService:0.00}{(withApi ? $", ResourceApi {ResourceApi:0.00}" : "")}, PostgreSQL {PostgreSql:0.00}, " +
        $"bench {Bench:0.00}, other {Other:0.00} (busy {Total:0.00} of {Environment.ProcessorCount})");
}

/// <summary>
/// Samples a process's resident memory every 50 ms for the whole run, so a short spike (a flood's burst of
/// Argon2 blocks) is seen even if it is gone by the time a window ends.
/// </summary>
internal sealed class RssSampler : IAsyncDisposable
{
    private readonly int pid;
    private readonly List<(long At, long RssKiB)> samples = [];
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    public RssSampler(int pid)
    {
        this.pid = pid;
        loop = pid > 0 ? Task.Run(SampleAsync) : Task.CompletedTask;
    }

    public long MaxKiB(long fromTimestamp, long toTimestamp)
    {
        lock (samples)
        {
            return samples.Where(s => s.At >= fromTimestamp && s.At <= toTimestamp).Select(s => s.RssKiB).DefaultIfEmpty(0).Max();
        }
    }

    /// <summary>VmHWM: the kernel's own peak RSS since the process started.</summary>
    public long HighWaterKiB() => Read("VmHWM:");

    private async Task SampleAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(50));
        long rss;
        do
        {
            rss = Read("VmRSS:");
            lock (samples)
            {
                samples.Add((System.Diagnostics.Stopwatch.GetTimestamp(), rss));
            }
        }
        // A reading of 0 means the process is gone: nothing more to sample.
        while (rss > 0 && await timer.WaitForNextTickAsync(stop.Token).ConfigureAwait(false));
    }

    private long Read(string field)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        try
        {
            await loop;
        }
        catch (OperationCanceledException)
        {
            // Expected: the sampler stops with the run.
        }

        stop.Dispose();
    }
}
