using System.Diagnostics;

namespace TestSupport;

/// <summary>
/// One run of a built service binary (TokenService.dll, ResourceApi.dll from the test's output folder) as an operator
/// runs it: its own process, its own environment, stdout and stderr captured separately, bounded in time.
/// </summary>
public sealed record BinaryRun(int ExitCode, string Out, string Error, bool TimedOut)
{
    /// <param name="environment">Added to this process's environment; a null value removes the variable.</param>
    public static async Task<BinaryRun> RunAsync(string assembly, IEnumerable<string> args, IDictionary<string, string?> environment,
        TimeSpan timeout)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, assembly);
        var start = new ProcessStartInfo("dotnet", [dll, .. args])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var (key, value) in environment)
        {
            if (value is null)
            {
                start.Environment.Remove(key);
            }
            else
            {
                start.Environment[key] = value;
            }
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(timeout);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            timedOut = true;
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        return new BinaryRun(process.ExitCode, await stdout, await stderr, timedOut);
    }
}
