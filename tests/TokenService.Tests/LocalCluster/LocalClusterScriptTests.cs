using System.Diagnostics;
using Npgsql;
using TestSupport;
using TokenService.Tests.Migrations;

namespace TokenService.Tests.LocalCluster;

/// <summary>db/local-pg.sh: the throwaway cluster behind `make run` and `make test`, started twice, used, stopped.</summary>
public sealed class LocalClusterScriptTests
{
    private string dataDir = null!;
    private int port;

    [OneTimeSetUp]
    public void ChooseFolderAndPort()
    {
        // Under /tmp so the unprivileged postgres user can reach it whatever the checkout's permissions.
        dataDir = Path.Combine(Path.GetTempPath(), "local-pg-test-" + Guid.NewGuid().ToString("N")[..8], "pg");
        port = Loopback.FreePort();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await RunAsync("stop");
        try
        {
            Directory.Delete(Path.GetDirectoryName(dataDir)!, recursive: true);
        }
        catch (UnauthorizedAccessException)
        {
            // Owned by the postgres user when tests run as root; /tmp is cleaned by the OS.
        }
    }

    private async Task<(int Code, string Out, string Error)> RunAsync(string verb)
    {
        var start = new ProcessStartInfo("bash", [Path.Combine(MigratorTests.RepoRoot(), "db", "local-pg.sh"), verb])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["PGLOCAL_DIR"] = dataDir;
        start.Environment["PGLOCAL_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["PGLOCAL_DB"] = "clustertest";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, (await output).Trim(), (await error).Trim());
    }

    [Test]
    public async Task Start_twice_prints_a_working_connection_string_and_stop_stops_it()
    {
        var first = await RunAsync("start");
        var second = await RunAsync("start");
        Assert.Multiple(() =>
        {
            Assert.That(first.Code, Is.Zero, first.Error);
            Assert.That(second.Code, Is.Zero, "starting a running cluster is fine: `make run` twice in a row");
            Assert.That(second.Out, Is.EqualTo(first.Out));
        });

        await using (var connection = new NpgsqlConnection(first.Out))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("SELECT current_database()", connection);
            Assert.That(await command.ExecuteScalarAsync(), Is.EqualTo("clustertest"));
        }

        Assert.That((await RunAsync("status")).Code, Is.Zero);
        var stopped = await RunAsync("stop");
        Assert.Multiple(async () =>
        {
            Assert.That(stopped.Code, Is.Zero);
            Assert.That((await RunAsync("status")).Out, Is.EqualTo("stopped"));
        });
    }

    [Test]
    public async Task An_unknown_verb_prints_usage()
    {
        var result = await RunAsync("frobnicate");
        Assert.Multiple(() =>
        {
            Assert.That(result.Code, Is.EqualTo(2));
            Assert.That(result.Error, Does.StartWith("usage:"));
        });
    }
}
