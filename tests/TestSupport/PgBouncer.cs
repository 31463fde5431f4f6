using System.Diagnostics;
using Npgsql;

namespace TestSupport;

/// <summary>
/// A private pgbouncer in transaction mode in front of the test PostgreSQL server (issue 18 point 2): its own config in a
/// temp folder, a free loopback port, every database of the server reachable under its own name. Run as the postgres
/// user (else nobody) when the tests run as root, because pgbouncer refuses root. Logs go to its stderr, kept for failures.
/// </summary>
public sealed class PgBouncer : IAsyncDisposable
{
    private readonly ListeningProcess process;

    private PgBouncer(ListeningProcess process, int port)
    {
        this.process = process;
        Port = port;
    }

    public int Port { get; }

    /// <summary>What pgbouncer printed so far (for failure messages).</summary>
    public string Log => process.Log;

    /// <summary>The binary, or null when pgbouncer is not installed (scripts/install-prerequisites.sh installs it).</summary>
    public static string? Binary =>
        new[] { "/usr/sbin/pgbouncer", "/usr/bin/pgbouncer", "/usr/local/bin/pgbouncer" }.FirstOrDefault(File.Exists);

    /// <summary>
    /// Starts pgbouncer for the server of <paramref name="serverConnectionString"/> with at most
    /// <paramref name="poolSize"/> server connections per database and user, and waits until it accepts connections.
    /// </summary>
    public static async Task<PgBouncer> StartAsync(string serverConnectionString, int poolSize)
    {
        var binary = Binary ?? throw new InvalidOperationException("pgbouncer is not installed (scripts/install-prerequisites.sh)");
        var server = new NpgsqlConnectionStringBuilder(serverConnectionString);
        var folder = Directory.CreateTempSubdirectory("pgbouncer-").FullName;
        // Readable by the unprivileged user pgbouncer runs as (the temp folder is created 0700).
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
                                         UnixFileMode.GroupRead | UnixFileMode.GroupExecute |
                                         UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }

        var port = Loopback.FreePort();
        // libpq-style quoting: a password may hold spaces or quotes.
        var quoted = server.Password?.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal);
        var password = string.IsNullOrEmpty(quoted) ? "" : $" password='{quoted}'";
        // trust: the test connects as the server's user, listed in the auth file pgbouncer requires even then.
        // No unix socket: the folder is not the pgbouncer user's.
        var config = $"""
            [databases]
            * = host={server.Host} port={server.Port} user={server.Username}{password}

            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = {port}
            unix_socket_dir =
            auth_type = trust
            auth_file = {folder}/userlist.txt
            pool_mode = transaction
            default_pool_size = {poolSize}
            max_client_conn = 500
            """;
        await File.WriteAllTextAsync(Path.Combine(folder, "pgbouncer.ini"), config);
        await File.WriteAllTextAsync(Path.Combine(folder, "userlist.txt"), $"\"{server.Username}\" \"\"\n");

        var start = Environment.UserName == "root"
            ? new ProcessStartInfo("setpriv", ["--reuid=" + UnprivilegedUser(), "--regid=" + UnprivilegedUser(), "--clear-groups",
                binary, Path.Combine(folder, "pgbouncer.ini")])
            : new ProcessStartInfo(binary, [Path.Combine(folder, "pgbouncer.ini")]);
        return new PgBouncer(await ListeningProcess.StartAsync(start, "pgbouncer", port, folder), port);
    }

    /// <summary>The same user and database as <paramref name="serverConnectionString"/>, through pgbouncer.</summary>
    public string ConnectionString(string serverConnectionString) =>
        new NpgsqlConnectionStringBuilder(serverConnectionString) { Host = "127.0.0.1", Port = Port }.ConnectionString;

    /// <summary>
    /// The local ports of pgbouncer's TCP sockets (Linux /proc): a backend whose pg_stat_activity.client_port is one of
    /// them is one of pgbouncer's server connections. pgbouncer gives its server connections no name of their own.
    /// </summary>
    public IReadOnlySet<int> LocalPorts()
    {
        var inodes = Directory.EnumerateFileSystemEntries($"/proc/{process.Process.Id}/fd")
            .Select(fd => new FileInfo(fd).LinkTarget)
            .Where(target => target?.StartsWith("socket:[", StringComparison.Ordinal) == true)
            .Select(target => target!["socket:[".Length..^1])
            .ToHashSet(StringComparer.Ordinal);
        // Columns of /proc/net/tcp: sl, local_address (hex ip:port), rem_address, st, ..., inode (the tenth).
        return new[] { "/proc/net/tcp", "/proc/net/tcp6" }.Where(File.Exists).SelectMany(File.ReadLines).Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(columns => columns.Length > 9 && inodes.Contains(columns[9]))
            .Select(columns => Convert.ToInt32(columns[1].Split(':')[1], 16))
            .ToHashSet();
    }

    private static string UnprivilegedUser() =>
        File.ReadLines("/etc/passwd").Any(l => l.StartsWith("postgres:", StringComparison.Ordinal)) ? "postgres" : "nobody";

    public ValueTask DisposeAsync() => process.DisposeAsync();
}
