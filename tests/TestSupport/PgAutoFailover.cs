using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace TestSupport;

/// <summary>
/// A pg_auto_failover formation of this test's own (issue 18 point 3): a monitor and two PostgreSQL 15 nodes, the
/// second a synchronous standby, on free loopback ports in a temp folder. The monitor's health checks are shortened
/// (1 s period, 2 s unhealthy, 4 s demote timeout, above the nodes' 3 s network-partition timeout, so a cut-off
/// primary still stops itself before the standby is promoted) so that a failover takes seconds, not the default
/// half-minute. Run as the postgres user when the tests run as root (PostgreSQL refuses root).
/// </summary>
public sealed class PgAutoFailover : IAsyncDisposable
{
    private const string BinDir = "/usr/lib/postgresql/15/bin";
    private readonly string folder;
    private readonly Dictionary<string, Process> running = [];

    private PgAutoFailover(string folder)
    {
        this.folder = folder;
        MonitorPort = Loopback.FreePort();
        Ports = new Dictionary<string, int> { ["node1"] = Loopback.FreePort(), ["node2"] = Loopback.FreePort() };
    }

    public int MonitorPort { get; }

    public IReadOnlyDictionary<string, int> Ports { get; }

    /// <summary>The binary, or null when pg_auto_failover is not installed (scripts/install-prerequisites.sh installs it).</summary>
    public static string? Binary => new[] { "/usr/bin/pg_autoctl", BinDir + "/pg_autoctl" }.FirstOrDefault(File.Exists);

    /// <summary>
    /// What an application is given: both nodes, the primary chosen by Npgsql, host states re-checked every second
    /// (Npgsql's default of 10 s would keep the promoted standby marked "standby" for that long).
    /// </summary>
    public string ConnectionString =>
        $"Host=127.0.0.1:{Ports["node1"]},127.0.0.1:{Ports["node2"]};Username=postgres;Database=tokenservice;" +
        "Target Session Attributes=primary;Host Recheck Seconds=1;Timeout=3";

    private string MonitorConnectionString =>
        $"Host=127.0.0.1;Port={MonitorPort};Username=autoctl_node;Database=pg_auto_failover;Pooling=false";

    public static async Task<PgAutoFailover> StartAsync()
    {
        var formation = new PgAutoFailover(Directory.CreateTempSubdirectory("pgaf-").FullName);
        try
        {
            await formation.CreateAsync();
            return formation;
        }
        catch
        {
            await formation.DisposeAsync();
            throw;
        }
    }

    private async Task CreateAsync()
    {
        foreach (var xdg in new[] { "config", "data", "run" })
        {
            Directory.CreateDirectory(Path.Combine(folder, "xdg", xdg));
        }

        if (Environment.UserName == "root" && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
            await RunAsync("chown", "-R", "postgres:", folder);
        }

        await AutoctlAsync("create", "monitor", "--pgdata", Data("monitor"), "--pgport", Port(MonitorPort), "--hostname", "127.0.0.1",
            "--auth", "trust", "--no-ssl");
        Start("monitor");
        await WaitAsync(async () =>
        {
            await using var monitor = new NpgsqlConnection(MonitorConnectionString);
            await monitor.OpenAsync();
            return true;
        }, "the monitor accepts connections");
        var superuser = MonitorConnectionString.Replace("autoctl_node", "postgres", StringComparison.Ordinal);
        await using (var monitor = new NpgsqlConnection(superuser))
        {
            await monitor.OpenAsync();
            foreach (var (name, value) in new[]
                     {
                         ("health_check_period", 1000), ("health_check_timeout", 1000), ("health_check_max_retries", 1),
                         ("health_check_retry_delay", 500), ("node_considered_unhealthy_timeout", 2000), ("primary_demote_timeout", 4000),
                     })
            {
                await using var set = new NpgsqlCommand($"ALTER SYSTEM SET pgautofailover.{name} = {value}", monitor);
                await set.ExecuteNonQueryAsync();
            }

            await using var reload = new NpgsqlCommand("SELECT pg_reload_conf()", monitor);
            await reload.ExecuteNonQueryAsync();
        }

        foreach (var (node, expected) in new[] { ("node1", "node1:single"), ("node2", "node1:primary node2:secondary") })
        {
            await AutoctlAsync("create", "postgres", "--pgdata", Data(node), "--pgport", Port(Ports[node]), "--hostname", "127.0.0.1",
                "--name", node, "--dbname", "tokenservice", "--auth", "trust", "--no-ssl", "--monitor",
                $"postgres://autoctl_node@127.0.0.1:{Port(MonitorPort)}/pg_auto_failover?sslmode=disable");
            await AutoctlAsync("config", "set", "--pgdata", Data(node), "timeout.network_partition_timeout", "3");
            Start(node);
            await WaitAsync(async () => await StatesAsync() == expected, "the formation reaches " + expected, seconds: 60);
        }
    }

    /// <summary>Each node's reported state, e.g. "node1:primary node2:secondary".</summary>
    public async Task<string> StatesAsync()
    {
        await using var monitor = new NpgsqlConnection(MonitorConnectionString);
        await monitor.OpenAsync();
        await using var query = new NpgsqlCommand(
            "SELECT string_agg(nodename || ':' || reportedstate, ' ' ORDER BY nodename) FROM pgautofailover.node", monitor);
        return (string)(await query.ExecuteScalarAsync())!;
    }

    /// <summary>The node's machine lost at once: its pg_autoctl, PostgreSQL and every backend get SIGKILL together.</summary>
    public async Task KillAsync(string node)
    {
        var process = running[node];
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        running.Remove(node);
    }

    /// <summary>Waits until <paramref name="node"/> reports itself the primary (wait_primary: no standby left to wait for).</summary>
    public Task WaitForPrimaryAsync(string node, int seconds = 60) =>
        WaitAsync(async () => (await StatesAsync()).Split(' ').Any(s => s == node + ":primary" || s == node + ":wait_primary"),
            node + " promoted", seconds);

    private string Data(string node) => Path.Combine(folder, node);

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);

    private void Start(string node)
    {
        var start = StartInfo(["run", "--pgdata", Data(node)]);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var process = Process.Start(start)!;
        // Drained so a full pipe never blocks it; the node's own log is in its folder.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        running[node] = process;
    }

    private async Task AutoctlAsync(params string[] args)
    {
        var start = StartInfo(args);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"pg_autoctl {string.Join(' ', args)} exited {process.ExitCode}: {await errors} {await output}");
        }
    }

    private ProcessStartInfo StartInfo(string[] args)
    {
        var binary = Binary ?? throw new InvalidOperationException("pg_autoctl is not installed (scripts/install-prerequisites.sh)");
        var start = Environment.UserName == "root"
            ? new ProcessStartInfo("setpriv", ["--reuid=postgres", "--regid=postgres", "--clear-groups", binary, .. args])
            : new ProcessStartInfo(binary, args);
        start.UseShellExecute = false;
        start.WorkingDirectory = folder;
        // pg_autoctl keeps each node's state under XDG folders keyed by its data directory: ours, never a user's.
        start.Environment["XDG_CONFIG_HOME"] = Path.Combine(folder, "xdg", "config");
        start.Environment["XDG_DATA_HOME"] = Path.Combine(folder, "xdg", "data");
        start.Environment["XDG_RUNTIME_DIR"] = Path.Combine(folder, "xdg", "run");
        start.Environment["HOME"] = folder;
        start.Environment["PATH"] = BinDir + ":" + Environment.GetEnvironmentVariable("PATH");
        return start;
    }

    private static async Task RunAsync(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { UseShellExecute = false })!;
        await process.WaitForExitAsync();
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, string what, int seconds = 30)
    {
        var clock = Stopwatch.StartNew();
        Exception? last = null;
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
            {
                last = e;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{what}: not within {seconds} s ({last?.Message})");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in running.Keys.ToList())
        {
            await KillAsync(node);
        }

        Directory.Delete(folder, recursive: true);
    }
}
