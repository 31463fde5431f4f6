using System.Diagnostics;
using System.Globalization;

namespace Bench;

/// <summary>POST /oauth2/token with client_credentials: the warm path (same client over and over) and the cold one.</summary>
internal static class TokenScenarios
{
    public const double TokensPerSecondTarget = 4000;
    public const double CeilingShareTarget = 0.55;

    /// <summary>Warm issuance: one client id and secret, client_secret_post, the form body built once.</summary>
    public static async Task<LoadResult?> WarmAsync(BenchContext c, int connections, double p99TargetMs, RsaCeiling? rsa)
    {
        var o = c.Options;
        var name = $"warm tokens, {connections} connections";
        var body = Http.ClientCredentialsForm(o.WarmApp.ClientId, o.WarmApp.Secret, o.TokenExtra);
        using var client = Http.Create(connections);
        var (status, answer) = await BenchContext.ProbeAsync(client, Http.Post(o.TokenEndpoint, body, Http.Form));
        if (status != 200)
        {
            c.Report.Unavailable(name, $"first token request answered {status}: {answer}");
            return null;
        }

        c.Progress($"{name}: {o.WarmUp.TotalSeconds} s warm-up + {o.Window.TotalSeconds} s");
        var result = await LoadRunner.RunAsync(client, new LoadSpec(name, connections, o.WarmUp, o.Window,
            (_, _) => Http.Post(o.TokenEndpoint, body, Http.Form), static (s, _) => s == 200), c.Processes);

        c.Report.AtLeast($"Warm tokens/s @{connections}", result.OkPerSecond, TokensPerSecondTarget, "N0");
        if (rsa is not null)
        {
            c.Report.AtLeast($"Warm tokens/s @{connections} as share of RSA ceiling", result.OkPerSecond / rsa.Ceiling, CeilingShareTarget, "0%");
        }

        if (result.Cpu.TokenService > 0)
        {
            // Tokens per core-second the service actually got: steadier than tokens/s when other jobs share the
            // machine, and beside openssl's sign/s per core it shows how much of the work is the signature.
            var perCore = result.OkPerSecond / result.Cpu.TokenService;
            c.Report.Info($"Warm tokens per TokenService core-second @{connections}", Report.Num(perCore, "N0"), "—",
                rsa is null ? "—" : $"{Report.Num(perCore / rsa.SignPerSecondPerCore, "0%")} of openssl sign/s per core");
        }

        c.Report.Info($"Warm p50 @{connections}", Report.Ms(result.Latency.Percentile(0.5)));
        c.Report.AtMost($"Warm p99 @{connections}", result.Latency.Percentile(0.99), p99TargetMs, "0.0", " ms");
        if (result.Outcomes.Failed > 0)
        {
            c.Report.Info($"Warm errors @{connections}", result.Outcomes.Describe(onlyFailures: true), "0", "**errors**");
        }

        c.Detail(result);
        return result;
    }

    /// <summary>
    /// Cold grant: the first token request of each freshly created application, one at a time, so each costs
    /// exactly one Argon2id verification (nothing cached yet) plus whatever the first look-up of a client costs.
    /// </summary>
    public static async Task ColdAsync(BenchContext c, string argon2)
    {
        var o = c.Options;
        var files = o.ColdDir is { } dir && Directory.Exists(dir) ? Directory.GetFiles(dir, "*.json").Order(StringComparer.Ordinal).ToArray() : [];
        if (files.Length == 0)
        {
            c.Report.Unavailable("Cold grant", "no fresh applications (--cold-dir)");
            return;
        }

        c.Progress($"cold grants: {files.Length} fresh applications");
        using var client = Http.Create(1);
        // Open the connection first: the handshake is not what the cold figure is about.
        await BenchContext.ProbeAsync(client, new HttpRequestMessage(HttpMethod.Get, new Uri(o.TokenUrl, "/healthz")));

        var times = new List<double>();
        var failures = new List<string>();
        foreach (var app in files.Select(Credentials.Load))
        {
            var body = Http.ClientCredentialsForm(app.ClientId, app.Secret, o.TokenExtra);
            var began = Stopwatch.GetTimestamp();
            var (status, answer) = await BenchContext.ProbeAsync(client, Http.Post(o.TokenEndpoint, body, Http.Form));
            var ms = LatencySummary.ToMs(Stopwatch.GetTimestamp() - began);
            if (status == 200)
            {
                times.Add(ms);
            }
            else
            {
                failures.Add($"{status}: {answer}");
            }
        }

        var summary = new LatencySummary(times);
        c.Report.AtMost($"Cold grant median ({argon2})", summary.Percentile(0.5), 100, "0.0", " ms");
        c.Report.Info("Cold grant p90", Report.Ms(summary.Percentile(0.9)));
        c.Report.Detail(string.Create(CultureInfo.InvariantCulture,
            $"cold grants: {times.Count} of {files.Length} ok; ms: {string.Join(", ", times.Select(t => t.ToString("0.0", CultureInfo.InvariantCulture)))}"));
        if (failures.Count > 0)
        {
            c.Report.Info("Cold grant errors", $"{failures.Count} of {files.Length}", "0", "**errors**");
            c.Report.Detail($"cold grants: first failure: `{failures[0].ReplaceLineEndings(" ")}`");
        }
    }

    /// <summary>Argon2 parameters the service runs with (appsettings, then Argon2__* environment), for the row label.</summary>
    public static string Argon2Label(string? settingsPath)
    {
        var (m, t, p) = ("19456", "2", "1");
        if (settingsPath is not null && File.Exists(settingsPath))
        {
            using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(settingsPath));
            if (json.RootElement.TryGetProperty("Argon2", out var a))
            {
                m = a.TryGetProperty("MemoryKiB", out var v) ? v.ToString() : m;
                t = a.TryGetProperty("Iterations", out v) ? v.ToString() : t;
                p = a.TryGetProperty("Parallelism", out v) ? v.ToString() : p;
            }
        }

        m = Environment.GetEnvironmentVariable("Argon2__MemoryKiB") ?? m;
        t = Environment.GetEnvironmentVariable("Argon2__Iterations") ?? t;
        p = Environment.GetEnvironmentVariable("Argon2__Parallelism") ?? p;
        return $"Argon2id m={m},t={t},p={p}";
    }
}
