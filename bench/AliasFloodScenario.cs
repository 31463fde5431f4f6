using System.Net;

namespace Bench;

/// <summary>
/// Issue 12's alias flood: one client sends a 1,000-alias <c>counter</c> query (as the issue reproduced it) from
/// 4 connections on 127.0.0.2 at full speed, while others send the bench query at 16 connections from 127.0.0.1.
/// Targets: the others keep at least 95 % success and a p99 within 3x their p99 without the flood (measured just
/// before, in the same sitting); every flood request is refused (400) before it reaches the database.
/// </summary>
internal static class AliasFloodScenario
{
    public const double SuccessTarget = 0.95;
    public const double P99RatioTarget = 3.0;
    private const int FloodConnections = 4;

    public static async Task RunAsync(BenchContext c)
    {
        var o = c.Options;
        if (o.ApiUrl is null)
        {
            c.Report.Unavailable("Alias flood: others' success", o.ApiUnavailable);
            return;
        }

        var authorization = await ApiScenarios.BearerAsync(c);
        if (authorization is null)
        {
            c.Report.Unavailable("Alias flood: others' success", "no token (see the warm token rows)");
            return;
        }

        var endpoint = new Uri(o.ApiUrl, "/graphql");
        var normalBody = ApiScenarios.QueryBody(o.Query);
        var floodBody = ApiScenarios.QueryBody("{" +
            string.Concat(Enumerable.Range(0, 1000).Select(i => $" a{i}: counter(metric: \"revenue\") {{ value }}")) + " }");
        using var normalClient = Http.Create(16);
        using var floodClient = Http.Create(FloodConnections, IPAddress.Parse("127.0.0.2"));
        ResponseCheck served = static (s, b) => s == 200 && b.IndexOf("\"errors\""u8) < 0;

        c.Progress($"alias-flood: the bench query alone at 16 connections for {o.Window.TotalSeconds} s, then with the flood");
        var alone = await LoadRunner.RunAsync(normalClient, new LoadSpec("bench query alone (alias-flood reference), 16 connections", 16,
            o.WarmUp, o.Window, (_, _) => Http.Post(endpoint, normalBody, Http.Json, authorization), served), c.Processes);

        var during = LoadRunner.RunAsync(normalClient, new LoadSpec("bench query during the alias flood, 16 connections", 16,
            o.WarmUp, o.Window, (_, _) => Http.Post(endpoint, normalBody, Http.Json, authorization), served), c.Processes);
        await Task.Delay(o.WarmUp);
        var flood = await LoadRunner.RunAsync(floodClient,
            new LoadSpec($"1,000-alias flood, {FloodConnections} connections", FloodConnections,
            TimeSpan.Zero, o.Window, (_, _) => Http.Post(endpoint, floodBody, Http.Json, authorization), static (s, _) => s == 400),
                c.Processes);
        var others = await during;

        var success = others.Outcomes.Total == 0 ? 0 : (double)others.Outcomes.Ok / others.Outcomes.Total;
        var ratio = others.Latency.Percentile(0.99) / alone.Latency.Percentile(0.99);
        c.Report.AtLeast("Alias flood: others' success during the flood", success * 100, SuccessTarget * 100, "0.0", " %");
        c.Report.AtMost("Alias flood: others' p99 during / alone", ratio, P99RatioTarget, "0.00", "×");
        c.Report.Info("Alias flood: others' p99 alone → during",
            $"{Report.Ms(alone.Latency.Percentile(0.99))} → {Report.Ms(others.Latency.Percentile(0.99))}");
        c.Report.Info("Alias flood: flood requests refused (400) per s", Report.Num(flood.OkPerSecond, "N0"), "all of them",
            flood.Outcomes.Failed == 0 ? "ok" : $"**{flood.Outcomes.Describe(onlyFailures: true)}**");
        c.Detail(alone, withApi: true);
        c.Detail(others, withApi: true);
        c.Detail(flood, withApi: true);
    }
}
