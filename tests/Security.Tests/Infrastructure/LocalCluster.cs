using System.Diagnostics;
using TestSupport;

namespace Security.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL cluster of this test's own (db/local-pg.sh with its own directory and port), so the test may stop
/// and start it without touching the cluster every other test uses.
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "security-pg-" + Guid.NewGuid().ToString("N")[..8]);

    public LocalCluster(string database)
    {
        Database = database;
        // Below the ephemeral range (Loopback.FreePort): the port must still be free when the test starts it again.
        Port = Loopback.FreePort();
    }

    public int Port { get; }

    public string Database { get; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database={Database};Timeout=3";

    public Task StartAsync() => RunAsync("start");

    public Task StopAsync() => RunAsync("stop");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        finally
        {
            // The script may have fallen back to another folder when root; both are ours.
            TryDelete(directory);
        }
    }

    private async Task RunAsync(string verb)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(RepoPaths.Root, "db", "local-pg.sh"), verb])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["PGLOCAL_DIR"] = directory;
        start.Environment["PGLOCAL_PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["PGLOCAL_DB"] = Database;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"db/local-pg.sh {verb} failed ({process.ExitCode}): {await stderr} {await stdout}");
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }

            File.Delete(path + ".initdb.log");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
