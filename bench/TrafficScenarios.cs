using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Bench;

/// <summary>
/// Issue 12's traffic shapes: <c>soak</c> (64 connections of one valid client from a cold start for at least 2.5 ×
/// the proven-secret cache lifetime), <c>fleet</c> (300 concurrent first requests of one valid client) and
/// <c>stranger-flood</c> (1,000 concurrent wrong credentials from 127.0.0.2 while a valid caller on 127.0.0.1 goes
/// on, at the token endpoint and through the ResourceApi's Basic exchange). Each uses applications of its own that
/// no other scenario touched (BENCH_TRAFFIC_DIR: soak.json, fleet.json, stranger.json from scripts/bench.sh), and
/// reads the Argon2id count from the TokenService's /metrics.
/// </summary>
internal static partial class TrafficScenarios
{
    private const string Argon2Count = "tokenservice_argon2_verification_duration_seconds_count";
    private const string Argon2Sum = "tokenservice_argon2_verification_duration_seconds_sum";

    private static readonly TimeSpan SoakWindow = TimeSpan.FromSeconds(10);

    /// <summary>The TokenService's ProvenSecretCacheSeconds for this run (scripts/bench.sh sets it short).</summary>
    private static int CacheSeconds =>
        int.TryParse(Environment.GetEnvironmentVariable("BENCH_SECRET_TTL"), CultureInfo.InvariantCulture, out var s) ? s : 120;

    private static Credentials? App(string name) =>
        Environment.GetEnvironmentVariable("BENCH_TRAFFIC_DIR") is { Length: > 0 } dir && File.Exists(Path.Combine(dir, name + ".json"))
            ? Credentials.Load(Path.Combine(dir, name + ".json")) : null;

    public static async Task SoakAsync(BenchContext c)
    {
        if (App("soak") is not { } app)
        {
            c.Report.Unavailable("Soak", "BENCH_TRAFFIC_DIR/soak.json missing (run through scripts/bench.sh)");
            return;
        }

        var o = c.Options;
        var windows = (int)Math.Max(3, Math.Ceiling(2.5 * CacheSeconds / SoakWindow.TotalSeconds));
        var body = Http.ClientCredentialsForm(app.ClientId, app.Secret, o.TokenExtra);
        using var client = Http.Create(64);
        c.Progress($"soak: 64 connections from a cold start, {windows} × {SoakWindow.TotalSeconds} s (proven-secret " +
            $"cache {CacheSeconds} s)");
        var before = await Argon2Async(o.TokenUrl);
        var results = new List<LoadResult>();
        for (var w = 0; w < windows; w++)
        {
            results.Add(await LoadRunner.RunAsync(client,
                new LoadSpec($"soak window {w + 1}, 64 connections", 64, TimeSpan.Zero, SoakWindow,
                (_, _) => Http.Post(o.TokenEndpoint, body, Http.Form), static (s, _) => s is >= 200 and < 300), c.Processes));
        }

        var verified = (await Argon2Async(o.TokenUrl)).Count - before.Count;
        var seconds = windows * SoakWindow.TotalSeconds;
        // One cold verification, then one background renewal per 3/4 of the lifetime at most.
        var argonBound = 1 + Math.Ceiling(seconds / (0.75 * CacheSeconds));
        var p99s = results.Select(r => r.Latency.Percentile(0.99)).ToList();
        var median = p99s.Order().ElementAt(p99s.Count / 2);
        var non2xx = results.Sum(r => r.Outcomes.Failed);
        c.Report.AtMost($"Soak: non-2xx of {results.Sum(r => r.Outcomes.Total):N0} over {seconds:0} s @64", non2xx, 0, "N0");
        c.Report.Info("Soak: p99 per 10 s window", string.Join(" / ", p99s.Select(Report.Ms)), "max ≤ 2× median",
            p99s.Max() <= 2 * median
                ? $"pass ({Report.Num(p99s.Max() / median, "0.00")}×)"
                : $"**fail** ({Report.Num(p99s.Max() / median, "0.00")}×)");
        c.Report.AtMost($"Soak: Argon2id verifications ({seconds:0} s, cache {CacheSeconds} s)", verified, argonBound, "0");
        foreach (var r in results)
        {
            c.Detail(r);
        }
    }

    public static async Task FleetAsync(BenchContext c)
    {
        if (App("fleet") is not { } app)
        {
            c.Report.Unavailable("Fleet", "BENCH_TRAFFIC_DIR/fleet.json missing (run through scripts/bench.sh)");
            return;
        }

        const int fleet = 300;
        var o = c.Options;
        var body = Http.ClientCredentialsForm(app.ClientId, app.Secret, o.TokenExtra);
        using var client = Http.Create(fleet);
        c.Progress($"fleet: {fleet} concurrent first requests of one valid client");
        var before = await Argon2Async(o.TokenUrl);
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var requests = Enumerable.Range(0, fleet).Select(async _ =>
        {
            await go.Task;
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var response = await client.SendAsync(Http.Post(o.TokenEndpoint, body, Http.Form));
                await response.Content.ReadAsByteArrayAsync();
                return ((int)response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            catch (HttpRequestException)
            {
                return (Outcomes.ConnectionError, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }).ToList();
        go.SetResult();
        var answers = await Task.WhenAll(requests);
        var after = await Argon2Async(o.TokenUrl);
        var verified = after.Count - before.Count;
        var oneMs = verified > 0 ? (after.Sum - before.Sum) * 1000 / verified : double.NaN;
        var latency = new LatencySummary(answers.Select(a => a.Item2));
        c.Report.AtMost($"Fleet: non-200 of {fleet} concurrent first requests", answers.Count(a => a.Item1 != 200), 0, "N0");
        c.Report.Info("Fleet: Argon2id verifications (metric)", Report.Num(verified, "0"), "exactly 1", verified == 1
            ? "pass"
            : "**fail**");
        c.Report.AtMost("Fleet: p99", latency.Percentile(0.99), 3 * oneMs, "0.0", " ms");
        c.Report.Detail($"fleet: one verification took {Report.Ms(oneMs)}; p50 {Report.Ms(latency.Percentile(0.5))}, " +
            $"max {Report.Ms(latency.Max)}; " +
                        $"statuses: {string.Join(", ", answers.GroupBy(a => a.Item1).Select(g => $"{g.Count()} × {g.Key}"))}");
    }

    public static async Task StrangerFloodAsync(BenchContext c)
    {
        if (App("stranger") is not { } app)
        {
            c.Report.Unavailable("Stranger flood", "BENCH_TRAFFIC_DIR/stranger.json missing (run through scripts/bench.sh)");
            return;
        }

        var o = c.Options;
        var tokenBody = Http.ClientCredentialsForm(app.ClientId, app.Secret, o.TokenExtra);
        await FloodAsync(c, "token endpoint", (_, _) => Http.Post(o.TokenEndpoint, tokenBody, Http.Form),
            (worker, i) => Http.Post(o.TokenEndpoint, Http.ClientCredentialsForm(Stranger(worker, i), "wrong", ""), Http.Form));
        if (o.ApiUrl is null)
        {
            c.Report.Unavailable("Stranger flood (Basic)", o.ApiUnavailable);
            return;
        }

        var graphql = new Uri(o.ApiUrl, "/graphql");
        var query = ApiScenarios.QueryBody(o.Query);
        var basic = Http.Basic(app.ClientId, app.Secret);
        await FloodAsync(c, "Basic via ResourceApi", (_, _) => Http.Post(graphql, query, Http.Json, basic),
            (worker, i) => Http.Post(graphql, query, Http.Json, Http.Basic(Stranger(worker, i), "wrong")));
    }

    /// <summary>A made-up client id per request: nothing a cache of refusals could answer.</summary>
    private static string Stranger(int worker, long iteration) =>
        string.Create(CultureInfo.InvariantCulture, $"stranger-{worker}-{iteration}");

    private static async Task FloodAsync(BenchContext c, string path, Func<int, long, HttpRequestMessage> legitimate,
        Func<int, long, HttpRequestMessage> wrong)
    {
        var o = c.Options;
        using var legitClient = Http.Create(16);
        using var strangerClient = Http.Create(o.Flood, IPAddress.Parse("127.0.0.2"));
        var (status, answer) = await BenchContext.ProbeAsync(legitClient, legitimate(0, 0));
        if (status != 200)
        {
            c.Report.Unavailable($"Stranger flood ({path})", $"the valid caller's first request answered {status}: {answer}");
            return;
        }

        c.Progress($"stranger-flood ({path}): valid caller alone, then beside {o.Flood} wrong requests in flight from 127.0.0.2");
        var alone = await LoadRunner.RunAsync(legitClient,
            new LoadSpec($"valid caller alone ({path}), 16 connections", 16, o.WarmUp, o.Window,
            legitimate, static (s, _) => s == 200), c.Processes);
        var during = LoadRunner.RunAsync(legitClient,
            new LoadSpec($"valid caller beside the flood ({path}), 16 connections", 16, o.WarmUp, o.Window,
            legitimate, static (s, _) => s == 200), c.Processes);
        var flood = await LoadRunner.RunAsync(strangerClient,
            new LoadSpec($"stranger flood ({path}), {o.Flood} connections from 127.0.0.2", o.Flood,
            TimeSpan.Zero, o.WarmUp + o.Window, wrong, static (s, _) => s is 401 or 429), c.Processes);
        var beside = await during;
        var ratio = beside.Latency.Percentile(0.99) / alone.Latency.Percentile(0.99);
        c.Report.AtMost($"Stranger flood ({path}): valid caller non-200", beside.Outcomes.Failed, 0, "N0");
        c.Report.Info($"Stranger flood ({path}): valid caller p99",
            $"{Report.Ms(beside.Latency.Percentile(0.99))} vs {Report.Ms(alone.Latency.Percentile(0.99))} alone",
            "≤ 3× alone", ratio <= 3 ? $"pass ({Report.Num(ratio, "0.0")}×)" : $"**fail** ({Report.Num(ratio, "0.0")}×)");
        c.Report.Info($"Stranger flood ({path}): stranger answers", flood.Outcomes.Describe(), "401 and/or 429",
            flood.Outcomes.Failed - flood.Outcomes.Count(Outcomes.Unfinished) > 0 ? "**unexpected statuses**" : "pass");
        c.Detail(alone, withApi: path.Contains("Basic", StringComparison.Ordinal));
        c.Detail(beside, withApi: path.Contains("Basic", StringComparison.Ordinal));
        c.Detail(flood, withApi: path.Contains("Basic", StringComparison.Ordinal));
    }

    private static async Task<(double Count, double Sum)> Argon2Async(Uri tokenUrl)
    {
        // The Prometheus exporter answers a scrape from its cache for 300 ms (ScrapeResponseCacheDurationMilliseconds):
        // the fleet is over in about 150 ms, so a read straight after it showed the count from before it (0 verified).
        await Task.Delay(ScrapeCacheExpiry);
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var text = await client.GetStringAsync(new Uri(tokenUrl, "/metrics"));
        double Total(string name) => Sample().Matches(text).Where(m => m.Groups["name"].Value == name)
            .Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));
        return (Total(Argon2Count), Total(Argon2Sum));
    }

    private static readonly TimeSpan ScrapeCacheExpiry = TimeSpan.FromMilliseconds(500);

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (?<value>\S+)", RegexOptions.Multiline)]
    private static partial Regex Sample();
}
