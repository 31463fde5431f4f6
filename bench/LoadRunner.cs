using System.Diagnostics;
using System.Text;

namespace Bench;

/// <summary>What one closed-loop run does: how many connections, how long, which request, what counts as success.</summary>
internal sealed record LoadSpec(
    string Name,
    int Connections,
    TimeSpan WarmUp,
    TimeSpan Window,
    Func<int, long, HttpRequestMessage> Request,
    ResponseCheck Check);

/// <summary>True when the response is what the scenario wants (e.g. 200 without GraphQL errors).</summary>
internal delegate bool ResponseCheck(int status, ReadOnlySpan<byte> body);

/// <summary>
/// Closed-loop load: each of N workers sends its next request as soon as the previous answer is read, so
/// concurrency is exactly N. Requests that start during the warm-up are not recorded; the window's requests are.
/// </summary>
internal static class LoadRunner
{
    /// <summary>How long requests still in flight at the end of the window may take before they are cancelled.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(3);

    public static async Task<LoadResult> RunAsync(HttpClient client, LoadSpec spec, Processes processes)
    {
        var start = Stopwatch.GetTimestamp();
        var from = start + (long)(spec.WarmUp.TotalSeconds * Stopwatch.Frequency);
        var to = from + (long)(spec.Window.TotalSeconds * Stopwatch.Frequency);
        using var stop = new CancellationTokenSource(spec.WarmUp + spec.Window + Grace);

        var workers = Enumerable.Range(0, spec.Connections).Select(i => new Worker(i, spec, client, from, to)).ToArray();
        var running = workers.Select(w => Task.Run(() => w.RunAsync(stop.Token))).ToArray();

        await Task.Delay(spec.WarmUp);
        var cpuBefore = CpuSnapshot.Take(processes);
        await Task.Delay(spec.Window);
        var cpuAfter = CpuSnapshot.Take(processes);
        await Task.WhenAll(running);

        return new LoadResult(
            spec.Name,
            spec.Connections,
            spec.Window,
            new LatencySummary(workers.Select(w => w.Latencies)),
            Outcomes.Merge(workers.Select(w => w.Outcomes)),
            workers.Select(w => w.FirstFailure).FirstOrDefault(f => f is not null),
            cpuAfter.Since(cpuBefore));
    }

    private sealed class Worker(int id, LoadSpec spec, HttpClient client, long from, long to)
    {
        private readonly Ref<byte[]> buffer = new(new byte[16 * 1024]);

        public LatencyLog Latencies { get; } = new();

        public Outcomes Outcomes { get; } = new();

        public string? FirstFailure { get; private set; }

        public async Task RunAsync(CancellationToken stop)
        {
            for (long iteration = 0; ; iteration++)
            {
                var began = Stopwatch.GetTimestamp();
                if (began >= to)
                {
                    return;
                }

                int status;
                var ok = false;
                try
                {
                    using var request = spec.Request(id, iteration);
                    using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stop);
                    var length = await Http.ReadBodyAsync(response, buffer, stop);
                    status = (int)response.StatusCode;
                    ok = spec.Check(status, buffer.Value.AsSpan(0, length));
                    if (!ok && FirstFailure is null && began >= from)
                    {
                        FirstFailure = $"{status}: {Encoding.UTF8.GetString(buffer.Value, 0, Math.Min(length, 600))}";
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    status = Outcomes.Unfinished;
                }
                catch (HttpRequestException e)
                {
                    status = Outcomes.ConnectionError;
                    FirstFailure ??= $"connection error: {e.Message}";
                }

                if (began >= from)
                {
                    Latencies.Add(Stopwatch.GetTimestamp() - began);
                    Outcomes.Add(status, ok);
                }

                if (status == Outcomes.Unfinished)
                {
                    return;
                }
            }
        }
    }
}

/// <summary>One run's figures: goodput (successful requests per second), latency percentiles, outcomes, CPU.</summary>
internal sealed record LoadResult(
    string Name,
    int Connections,
    TimeSpan Window,
    LatencySummary Latency,
    Outcomes Outcomes,
    string? FirstFailure,
    CpuUsage Cpu)
{
    public double OkPerSecond => Outcomes.Ok / Window.TotalSeconds;

    public double AllPerSecond => Outcomes.Total / Window.TotalSeconds;
}
