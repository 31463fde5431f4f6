using System.Text;
using System.Text.Json;

namespace Bench;

/// <summary>
/// POST /graphql on the ResourceApi with a small authorized query, as a bearer token and as HTTP Basic (issue 14
/// point 5: at least 8,000 req/s and p99 at most 10 ms at 16 connections). On a shared machine the absolute figure
/// moves with the neighbours, so each run also measures GET /healthz on the same process in the same sitting (the
/// HTTP stack alone: no token, no GraphQL, no database) and prints the query's rate as a share of it.
/// </summary>
internal static class ApiScenarios
{
    public const double RequestsPerSecondTarget = 8000;
    public const double P99TargetMs = 10;

    private static readonly byte[] ErrorsMember = "\"errors\""u8.ToArray();

    public static async Task RunAsync(BenchContext c, bool bearer)
    {
        var o = c.Options;
        var name = $"ResourceApi {(bearer ? "bearer" : "Basic")}, 16 connections";
        var figure = $"ResourceApi req/s ({(bearer ? "bearer token" : "Basic auth")})";
        if (o.ApiUrl is null)
        {
            c.Report.Unavailable(figure, o.ApiUnavailable);
            return;
        }

        var authorization = bearer ? await BearerAsync(c) : Http.Basic(o.WarmApp.ClientId, o.WarmApp.Secret);
        if (authorization is null)
        {
            c.Report.Unavailable(figure, "no token for the bearer run (see the warm token rows)");
            return;
        }

        var endpoint = new Uri(o.ApiUrl, "/graphql");
        var body = QueryBody(o.Query);
        const int connections = 16;
        using var client = Http.Create(connections);
        var (status, answer) = await BenchContext.ProbeAsync(client, Http.Post(endpoint, body, Http.Json, authorization));
        if (status is 0 or 404 or 405)
        {
            c.Report.Unavailable(figure, $"POST /graphql answered {(status == 0 ? answer : status)}");
            return;
        }

        // Shown so a reader can see the query really returns data (an empty list would flatter the figure).
        c.Report.Detail($"{name}: query `{o.Query}`; first answer {status}: `{(answer.Length > 300 ? answer[..300] + "…" : answer)}`");
        c.Progress($"{name}: {o.WarmUp.TotalSeconds} s warm-up + {o.Window.TotalSeconds} s");
        var result = await LoadRunner.RunAsync(client, new LoadSpec(name, connections, o.WarmUp, o.Window,
            (_, _) => Http.Post(endpoint, body, Http.Json, authorization),
            static (s, b) => s == 200 && b.IndexOf(ErrorsMember) < 0), c.Processes);

        c.Report.AtLeast(figure, result.OkPerSecond, RequestsPerSecondTarget, "N0");
        c.Report.AtMost($"ResourceApi p99 ({(bearer ? "bearer" : "Basic")}) @{connections}", result.Latency.Percentile(0.99), P99TargetMs,
            "0.00", " ms");
        var reference = await LoadRunner.RunAsync(client, new LoadSpec($"{name}: reference GET /healthz", connections, o.WarmUp, o.Window,
            (_, _) => new HttpRequestMessage(HttpMethod.Get, new Uri(o.ApiUrl, "/healthz")), static (s, _) => s == 200), c.Processes);
        c.Report.Info($"ResourceApi {(bearer ? "bearer" : "Basic")} req/s as a share of GET /healthz (same sitting)",
            $"{Report.Num(result.OkPerSecond / reference.OkPerSecond, "0%")} of {Report.Num(reference.OkPerSecond, "N0")}/s",
            $"≥ {Report.Num(RequestsPerSecondTarget / reference.OkPerSecond, "0%")} would be 8,000/s");
        c.Detail(reference, withApi: true);
        if (result.Outcomes.Failed > 0)
        {
            c.Report.Info($"ResourceApi errors ({(bearer ? "bearer" : "Basic")})", result.Outcomes.Describe(onlyFailures: true), "0",
                "**errors**");
        }

        c.Detail(result, withApi: true);
    }

    /// <summary>{"query": "..."} with the document JSON-escaped.</summary>
    public static byte[] QueryBody(string query)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("query", query);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// "Bearer ..." with a token for the warm client (<paramref name="extra"/>: more form parameters), or null when the
    /// token endpoint refuses.
    /// </summary>
    public static async Task<string?> BearerAsync(BenchContext c, string extra = "")
    {
        var o = c.Options;
        using var client = Http.Create(1);
        var form = Http.ClientCredentialsForm(o.WarmApp.ClientId, o.WarmApp.Secret, o.TokenExtra + extra);
        var (status, answer) = await BenchContext.ProbeAsync(client, Http.Post(o.TokenEndpoint, form, Http.Form));
        if (status != 200)
        {
            return null;
        }

        using var json = JsonDocument.Parse(Encoding.UTF8.GetBytes(answer));
        return "Bearer " + json.RootElement.GetProperty("access_token").GetString();
    }
}
