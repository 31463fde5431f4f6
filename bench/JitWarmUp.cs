namespace Bench;

/// <summary>
/// Unrecorded load on every path before the first measured window. Tiered compilation moves hot methods to
/// optimised code only after they have run for a while, and on a busy 2-core machine that takes many seconds:
/// without this the first scenario of each service measured the JIT (seen as 10–15% of ResourceApi's CPU samples
/// in its first window).
/// </summary>
internal static class JitWarmUp
{
    public static async Task RunAsync(BenchContext c, TimeSpan each)
    {
        if (each <= TimeSpan.Zero)
        {
            return;
        }

        var o = c.Options;
        var form = Http.ClientCredentialsForm(o.WarmApp.ClientId, o.WarmApp.Secret, o.TokenExtra);
        var paths = new List<(string Name, Func<int, long, HttpRequestMessage> Request)>
        {
            ("tokens", (_, _) => Http.Post(o.TokenEndpoint, form, Http.Form)),
        };
        if (o.ApiUrl is not null && await ApiScenarios.BearerAsync(c) is { } bearer)
        {
            var endpoint = new Uri(o.ApiUrl, "/graphql");
            var body = ApiScenarios.QueryBody(o.Query);
            var basic = Http.Basic(o.WarmApp.ClientId, o.WarmApp.Secret);
            paths.Add(("GraphQL with a bearer token", (_, _) => Http.Post(endpoint, body, Http.Json, bearer)));
            paths.Add(("GraphQL with Basic", (_, _) => Http.Post(endpoint, body, Http.Json, basic)));
        }

        foreach (var (name, request) in paths)
        {
            c.Progress($"JIT warm-up, {name}: {each.TotalSeconds} s (not recorded)");
            using var client = Http.Create(16);
            await LoadRunner.RunAsync(client, new LoadSpec(name, 16, TimeSpan.Zero, each, request, static (_, _) => true), c.Processes);
        }
    }
}
