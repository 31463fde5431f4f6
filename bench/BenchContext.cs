namespace Bench;

/// <summary>What every scenario needs: the options, the processes to watch, and the report to add rows to.</summary>
internal sealed record BenchContext(BenchOptions Options, Processes Processes, RssSampler Rss, Report Report)
{
    /// <summary>
    /// Cores used by everything but the services, PostgreSQL and this generator (the kernel, and any other job on
    /// the machine) above which a window is flagged as disturbed.
    /// </summary>
    public const double NoisyCores = 0.25;

    public void Progress(string message) => Console.Error.WriteLine($"bench: {message}");

    /// <summary>A one-line description of a run for the details list.</summary>
    public void Detail(LoadResult r, bool withApi = false)
    {
        Report.NoteInterference(r.Name, r.Cpu.Other);
        Report.Detail($"{r.Name}: {r.Connections} connections, {r.Outcomes.Total:N0} requests in {r.Window.TotalSeconds} s " +
                      $"({Report.Num(r.OkPerSecond, "N0")} as expected per s); p50 {Report.Ms(r.Latency.Percentile(0.50))}, " +
                      $"p90 {Report.Ms(r.Latency.Percentile(0.90))}, p99 {Report.Ms(r.Latency.Percentile(0.99))}, " +
                      $"max {Report.Ms(r.Latency.Max)}; outcomes: {r.Outcomes.Describe()}; CPU cores: {r.Cpu.Describe(withApi)}");
        if (r.Cpu.Other > NoisyCores)
        {
            Report.Detail($"{r.Name}: **other processes used {Report.Num(r.Cpu.Other, "0.00")} cores during this window** " +
                          "(another job on the machine, or kernel network work): its figures may understate the services");
        }

        if (r.FirstFailure is { } failure)
        {
            Report.Detail($"{r.Name}: first failure: `{failure.ReplaceLineEndings(" ").Replace("`", "'", StringComparison.Ordinal)}`");
        }
    }

    /// <summary>
    /// One request before a run, so a misconfiguration (wrong scope, endpoint not built yet) is one clear line
    /// instead of ten seconds of errors. Returns the status and body, or 0 and the exception message.
    /// </summary>
    public static async Task<(int Status, string Body)> ProbeAsync(HttpClient client, HttpRequestMessage request)
    {
        try
        {
            using (request)
            using (var response = await client.SendAsync(request))
            {
                return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
            }
        }
        catch (HttpRequestException e)
        {
            return (0, e.Message);
        }
    }
}
