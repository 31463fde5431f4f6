using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Bench;

/// <summary>
/// Wrong-secret flood: N concurrent requests (closed loop, from 127.0.0.2) with a different wrong secret each
/// time for the warm client's own id (the worst case: an attacker knows a client id, ids are not secret), while
/// the warm client goes on at 16 connections from 127.0.0.1. Shows whether warm traffic is starved and how
/// much memory the verifications take.
/// </summary>
internal static class FloodScenario
{
    public const double RssTargetMb = 300;

    public static async Task RunAsync(BenchContext c, LoadResult? warmBaseline)
    {
        var o = c.Options;
        var warmBody = Http.ClientCredentialsForm(o.WarmApp.ClientId, o.WarmApp.Secret, o.TokenExtra);
        var wrongPrefix = $"grant_type=client_credentials&client_id={Uri.EscapeDataString(o.WarmApp.ClientId)}&client_secret=" +
                          Uri.EscapeDataString(o.WarmApp.Secret.Length > 12 ? o.WarmApp.Secret[..^12] : "wrong");

        using var warmClient = Http.Create(16);
        using var floodClient = Http.Create(o.Flood, IPAddress.Parse("127.0.0.2"));
        c.Progress($"flood: {o.Flood} wrong-secret requests in flight for {o.Window.TotalSeconds} s, warm client at 16 connections");

        var warm = LoadRunner.RunAsync(warmClient, new LoadSpec("warm tokens during flood, 16 connections", 16, o.WarmUp, o.Window,
            (_, _) => Http.Post(o.TokenEndpoint, warmBody, Http.Form), static (s, _) => s == 200), c.Processes);
        await Task.Delay(o.WarmUp);
        var floodFrom = Stopwatch.GetTimestamp();
        var flood = await LoadRunner.RunAsync(floodClient, new LoadSpec($"wrong-secret flood, {o.Flood} connections", o.Flood, TimeSpan.Zero, o.Window,
            (worker, i) => Http.Post(o.TokenEndpoint, Wrong(wrongPrefix, worker, i, o.TokenExtra), Http.Form),
            static (s, _) => s is 401 or 429), c.Processes);
        var floodTo = Stopwatch.GetTimestamp();
        var during = await warm;

        c.Report.Info("Flood: warm tokens/s @16 during flood", Report.Num(during.OkPerSecond, "N0"), "—",
            warmBaseline is null ? "—" : $"{Report.Num(during.OkPerSecond / warmBaseline.OkPerSecond, "0%")} of no-flood");
        var p99 = during.Latency.Percentile(0.99);
        c.Report.Info("Flood: warm p99 @16 during flood", Report.Ms(p99), "not starved (issue 8 §3)",
            warmBaseline is null ? "—" : $"{Report.Num(p99 / warmBaseline.Latency.Percentile(0.99), "0.0")}× the no-flood p99");
        if (during.Outcomes.Failed > 0)
        {
            c.Report.Info("Flood: warm client failures", during.Outcomes.Describe(onlyFailures: true), "0", "**starved**");
        }

        var unanswered = flood.Outcomes.Count(Outcomes.Unfinished);
        var verdict = flood.Outcomes.Failed - unanswered > 0 ? "**unexpected statuses**"
            : unanswered > 0 ? $"**{unanswered:N0} still unanswered** 3 s after the window" : "pass";
        c.Report.Info("Flood: wrong-secret responses", flood.Outcomes.Describe(), "401 and/or 429", verdict);
        c.Report.AtMost("Flood: TokenService peak RSS during flood", Mb(c.Rss.MaxKiB(floodFrom, floodTo)), RssTargetMb, "0", " MB");

        c.Detail(during);
        c.Detail(flood);
    }

    /// <summary>
    /// A different wrong secret each time, so no cache of failures can make the flood cheap by accident; it keeps
    /// the real secret's length and alphabet, so no format check can turn it away before Argon2 either.
    /// </summary>
    private static byte[] Wrong(string prefix, int worker, long iteration, string extra) =>
        System.Text.Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{prefix}{worker % 10000:D4}{iteration % 100000000:D8}{extra}"));

    public static double Mb(long kib) => kib * 1024 / 1e6;
}
