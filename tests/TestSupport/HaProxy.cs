using System.Diagnostics;

namespace TestSupport;

/// <summary>
/// A private HAProxy in front of TokenService instances on loopback (issue 18 points 4 and 5), configured as
/// docs/operations.md recommends: round robin, a health check on /readyz every 200 ms that takes a server out at the first
/// 503 (so a draining instance gets nothing new), X-Forwarded-For appended, a connection failure retried elsewhere.
/// Each response says which server answered (X-Served-By, added here for the tests only). The stats page gives each
/// server's state as HAProxy sees it. Logs go to its stderr, kept for failures.
/// </summary>
public sealed class HaProxy : IAsyncDisposable
{
    public const string ServedBy = "X-Served-By";

    private readonly ListeningProcess process;

    private HaProxy(ListeningProcess process, int port, int statsPort)
    {
        this.process = process;
        Port = port;
        StatsPort = statsPort;
    }

    public int Port { get; }

    public int StatsPort { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    /// <summary>What HAProxy printed so far (for failure messages).</summary>
    public string Log => process.Log;

    /// <summary>The binary, or null when HAProxy is not installed (scripts/install-prerequisites.sh installs it).</summary>
    public static string? Binary =>
        new[] { "/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy", "/usr/local/bin/haproxy" }.FirstOrDefault(File.Exists);

    /// <summary>Starts HAProxy balancing over <paramref name="servers"/> (name, loopback port) and waits until it listens.</summary>
    public static async Task<HaProxy> StartAsync(IReadOnlyList<(string Name, int Port)> servers)
    {
        var binary = Binary ?? throw new InvalidOperationException("haproxy is not installed (scripts/install-prerequisites.sh)");
        var folder = Directory.CreateTempSubdirectory("haproxy-").FullName;
        var port = Loopback.FreePort();
        var statsPort = Loopback.FreePort();
        var lines = string.Join("\n", servers.Select(s => $"    server {s.Name} 127.0.0.1:{s.Port} check"));
        // retry-on: a request that found a closed port or a connection closed without an answer (an instance that just
        // went away) is sent again, to the other server (redispatch), before the client sees an error.
        var config = $"""
            global
                maxconn 2000

            defaults
                mode http
                timeout connect 500ms
                timeout client 10s
                timeout server 10s
                # Without it a check times out after inter (200 ms): one slow /readyz on a busy machine is not a dead server.
                timeout check 2s
                option redispatch
                retries 2
                retry-on conn-failure empty-response
                http-reuse safe

            frontend tokens
                bind 127.0.0.1:{port}
                default_backend instances

            backend instances
                balance roundrobin
                option httpchk GET /readyz
                http-check expect status 200
                default-server inter 200ms fall 1 rise 2
                option forwardfor
                http-response set-header {ServedBy} %[srv_name]
            {lines}

            frontend stats
                bind 127.0.0.1:{statsPort}
                stats enable
                stats uri /stats
            """;
        var path = Path.Combine(folder, "haproxy.cfg");
        await File.WriteAllTextAsync(path, config + "\n");

        var started = await ListeningProcess.StartAsync(new ProcessStartInfo(binary, ["-db", "-f", path]), "haproxy", statsPort, folder);
        return new HaProxy(started, port, statsPort);
    }

    /// <summary>Each server's status as HAProxy sees it: "UP", "DOWN", "UP 1/2" (coming up), "DOWN 1/2" (going down).</summary>
    public async Task<IReadOnlyDictionary<string, string>> ServerStatesAsync()
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var csv = await client.GetStringAsync($"http://127.0.0.1:{StatsPort}/stats;csv");
        var rows = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(',')).ToList();
        var header = rows[0].Select(h => h.TrimStart('#', ' ')).ToList();
        var (proxy, server, status) = (header.IndexOf("pxname"), header.IndexOf("svname"), header.IndexOf("status"));
        return rows.Skip(1).Where(r => r[proxy] == "instances" && r[server] is not ("BACKEND" or "FRONTEND"))
            .ToDictionary(r => r[server], r => r[status]);
    }

    /// <summary>Waits until HAProxy has <paramref name="server"/> in the state <paramref name="state"/> (exactly "UP" or "DOWN").</summary>
    public async Task WaitForAsync(string server, string state, int seconds = 20)
    {
        var clock = Stopwatch.StartNew();
        var last = "";
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            if ((await ServerStatesAsync()).TryGetValue(server, out var now) && (last = now) == state)
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"HAProxy did not see {server} {state} within {seconds} s (last: {last}): {Log}");
    }

    public ValueTask DisposeAsync() => process.DisposeAsync();
}
