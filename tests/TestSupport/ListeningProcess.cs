using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace TestSupport;

/// <summary>
/// A helper binary a test runs in the foreground (pgbouncer, HAProxy): its output kept for failure messages, handed
/// out only once it accepts connections on its port, and on dispose stopped and its temp folder removed.
/// </summary>
public sealed class ListeningProcess : IAsyncDisposable
{
    private readonly StringBuilder log = new();
    private readonly string folder;

    private ListeningProcess(Process process, string folder)
    {
        Process = process;
        this.folder = folder;
    }

    public Process Process { get; }

    /// <summary>What the process printed so far (for failure messages).</summary>
    public string Log
    {
        get
        {
            lock (log)
            {
                return log.ToString();
            }
        }
    }

    /// <summary>Starts <paramref name="start"/> and waits up to 15 s until 127.0.0.1:<paramref name="port"/> accepts.</summary>
    public static async Task<ListeningProcess> StartAsync(ProcessStartInfo start, string name, int port, string folder)
    {
        start.RedirectStandardError = true;
        start.RedirectStandardOutput = true;
        start.UseShellExecute = false;
        var started = new ListeningProcess(Process.Start(start)!, folder);
        started.Process.ErrorDataReceived += (_, e) => started.Append(e.Data);
        started.Process.OutputDataReceived += (_, e) => started.Append(e.Data);
        started.Process.BeginErrorReadLine();
        started.Process.BeginOutputReadLine();
        try
        {
            await started.WaitUntilListeningAsync(name, port);
        }
        catch (InvalidOperationException)
        {
            // The caller never gets it to dispose: stop it and remove its folder here.
            await started.DisposeAsync();
            throw;
        }

        return started;
    }

    private async Task WaitUntilListeningAsync(string name, int port)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(15))
        {
            if (Process.HasExited)
            {
                throw new InvalidOperationException(
                    $"{name} exited with {Process.ExitCode.ToString(CultureInfo.InvariantCulture)}: {Log}");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new InvalidOperationException($"{name} did not listen on {port} within 15 s: {Log}");
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.AppendLine(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Kill();
            await Process.WaitForExitAsync();
        }

        Process.Dispose();
        Directory.Delete(folder, recursive: true);
    }
}
