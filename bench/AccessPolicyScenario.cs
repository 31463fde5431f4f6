namespace Bench;

/// <summary>
/// Issue 15 point 7: what Access Control costs. The same rows counted twice in one sitting, 16 connections each: the
/// widget orders through a Metric filter on the open pool (no policy), and through a pool with Access Control on, whose
/// policy's dynamic row rule <c>product EQUALS ${{ product }}</c> is filled from the token's policy_values (and enforced
/// again by row-level security). scripts/bench.sh creates both (bench_* names). Target: at least 90 % of the open figure.
/// </summary>
internal static class AccessPolicyScenario
{
    public const double ShareTarget = 0.90;
    private const string OpenQuery = "{ counter(metric: \"bench_widget_order_count\") { value } }";
    private const string ControlledQuery = "{ counter(metric: \"bench_order_count_controlled\") { value } }";
    private static readonly byte[] ErrorsMember = "\"errors\""u8.ToArray();

    public static async Task RunAsync(BenchContext c)
    {
        var o = c.Options;
        const string figure = "ResourceApi with Access Control, share of the same rows without";
        if (o.ApiUrl is null)
        {
            c.Report.Unavailable(figure, o.ApiUnavailable);
            return;
        }

        var open = await ApiScenarios.BearerAsync(c);
        var controlled = await ApiScenarios.BearerAsync(c, "&policy_values=" + Uri.EscapeDataString("{\"product\": \"widget\"}"));
        if (open is null || controlled is null)
        {
            c.Report.Unavailable(figure, "no token for the warm application (see the warm token rows)");
            return;
        }

        var endpoint = new Uri(o.ApiUrl, "/graphql");
        const int connections = 16;
        using var client = Http.Create(connections);
        var openBody = ApiScenarios.QueryBody(OpenQuery);
        var controlledBody = ApiScenarios.QueryBody(ControlledQuery);
        var (openStatus, openAnswer) = await BenchContext.ProbeAsync(client, Http.Post(endpoint, openBody, Http.Json, open));
        var (controlledStatus, controlledAnswer) =
            await BenchContext.ProbeAsync(client, Http.Post(endpoint, controlledBody, Http.Json, controlled));
        // Both must count the same rows, or the comparison says nothing (an empty answer would flatter the policy).
        c.Report.Detail($"Access Control: open `{OpenQuery}` answered {openStatus} `{openAnswer}`; controlled `{ControlledQuery}` " +
                        $"with policy_values product=widget answered {controlledStatus} `{controlledAnswer}`");
        if (openStatus != 200 || controlledStatus != 200 || openAnswer != controlledAnswer || openAnswer.Contains("errors"))
        {
            c.Report.Unavailable(figure, "the two queries do not return the same value (see details); was scripts/bench.sh's setup run?");
            return;
        }

        // Open, controlled, open again: the share is against the mean of the two open runs, so a drift of the machine
        // during the scenario (neighbours, autovacuum, the page cache) does not land on one side only.
        Task<LoadResult> Run(string label, byte[] body, string authorization) => LoadRunner.RunAsync(client, new LoadSpec(label,
            connections, o.WarmUp, o.Window, (_, _) => Http.Post(endpoint, body, Http.Json, authorization),
            static (s, b) => s == 200 && b.IndexOf(ErrorsMember) < 0), c.Processes);
        var before = await Run("ResourceApi counter, open pool", openBody, open);
        var withPolicy = await Run("ResourceApi counter, Access Control + dynamic row rule", controlledBody, controlled);
        var after = await Run("ResourceApi counter, open pool again", openBody, open);
        var baseline = (before.OkPerSecond + after.OkPerSecond) / 2;
        c.Report.Info("ResourceApi counter req/s, open pool (widget by a Metric filter), before and after",
            $"{Report.Num(before.OkPerSecond, "N0")} / {Report.Num(after.OkPerSecond, "N0")}");
        c.Report.Info("ResourceApi counter req/s, Access Control (widget by the policy)", Report.Num(withPolicy.OkPerSecond, "N0"));
        c.Report.AtLeast(figure, withPolicy.OkPerSecond / baseline, ShareTarget, "0.00");
        c.Detail(before, withApi: true);
        c.Detail(withPolicy, withApi: true);
        c.Detail(after, withApi: true);
    }
}
