using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using TestSupport;

namespace Security.Tests.Infrastructure;

/// <summary>
/// The built TokenService binary as a child process on a loopback port: the only way to test SIGKILL, SIGTERM and a
/// restart for real. Output is drained continuously (a full pipe would block the child) and kept for diagnostics.
/// </summary>
public sealed class TokenServiceProcess(string connectionString, string keyEncryptionKey) : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> output = new();
    private Process? process;

    public int Port { get; } = Loopback.FreePort();

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    public string Output => string.Join('\n', output);

    public int Id => process?.Id ?? 0;

    public bool HasExited => process is null || process.HasExited;

    public int ExitCode => process!.ExitCode;

    public async Task StartAsync()
    {
        process = Start(["--urls", BaseAddress.ToString()]);
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        try
        {
            await Loopback.WaitUntilReadyAsync(client, seconds: 30, gaveUp: () => process.HasExited);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            throw new InvalidOperationException($"TokenService not ready ({e.Message}): {Output}", e);
        }
    }

    /// <summary>Runs an ops command (same binary) and returns its JSON output.</summary>
    public async Task<JsonElement> CliAsync(params string[] args) => JsonDocument.Parse(await CliTextAsync(args)).RootElement.Clone();

    /// <summary>Runs an ops command whose output is text (migrate); fails unless it exits 0.</summary>
    public async Task<string> CliTextAsync(params string[] args)
    {
        var (exitCode, stdout, stderr) = await CliRunAsync(args);
        return exitCode == 0 ? stdout
            : throw new InvalidOperationException($"TokenService {string.Join(' ', args)} exited {exitCode}: {stderr}");
    }

    /// <summary>Runs an ops command and returns how it ended, whatever that was.</summary>
    public async Task<(int ExitCode, string Out, string Error)> CliRunAsync(params string[] args)
    {
        using var cli = Process.Start(StartInfo(args))!;
        var stdout = cli.StandardOutput.ReadToEndAsync();
        var stderr = cli.StandardError.ReadToEndAsync();
        await cli.WaitForExitAsync();
        return (cli.ExitCode, await stdout, await stderr);
    }

    /// <summary>SIGKILL: no shutdown code runs at all.</summary>
    public async Task KillAsync()
    {
        process!.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, what an orchestrator sends: the host stops gracefully.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", process!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public Task WaitForExitAsync(CancellationToken ct) => process!.WaitForExitAsync(ct);

    public async ValueTask DisposeAsync()
    {
        if (process is { HasExited: false })
        {
            await KillAsync();
        }

        process?.Dispose();
    }

    private Process Start(string[] args)
    {
        output.Clear();
        var child = new Process { StartInfo = StartInfo(args) };
        child.OutputDataReceived += (_, e) => Keep(e.Data);
        child.ErrorDataReceived += (_, e) => Keep(e.Data);
        child.Start();
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        return child;
    }

    private ProcessStartInfo StartInfo(string[] args)
    {
        var start = new ProcessStartInfo("dotnet", [RepoPaths.TokenServiceDll, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["DATABASE_URL"] = connectionString;
        start.Environment["KEY_ENCRYPTION_KEY"] = keyEncryptionKey;
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment.Remove("ASPNETCORE_URLS");
        return start;
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        output.Enqueue(line);
        while (output.Count > 2000 && output.TryDequeue(out _))
        {
        }
    }
}
