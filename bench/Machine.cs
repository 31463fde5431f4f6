using System.Globalization;
using System.Runtime.InteropServices;

namespace Bench;

/// <summary>Where the figures came from: they mean little without the machine and the commit.</summary>
internal sealed record Machine(string Cpu, int Cores, double MemoryGiB, string Os, string Dotnet, DateTimeOffset At)
{
    public static Machine Describe() => new(
        ProcLine("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString(),
        Environment.ProcessorCount,
        (ProcLine("/proc/meminfo", "MemTotal") is { } total ? double.Parse(total.Split(' ')[0], CultureInfo.InvariantCulture) : 0) / 1024 / 1024,
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        DateTimeOffset.UtcNow);

    public IEnumerable<string> Lines(BenchOptions o)
    {
        yield return $"CPU: {Cpu}, {Cores} cores (nproc); memory {MemoryGiB.ToString("0.0", CultureInfo.InvariantCulture)} GiB";
        yield return $"OS: {Os}; runtime: {Dotnet}";
        yield return $"Date: {At.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC; commit measured: {o.Commit}";
        yield return $"Load generator on the same machine (closed loop, HTTP/1.1 keep-alive, loopback); warm-up {o.WarmUp.TotalSeconds} s, " +
                     $"window {o.Window.TotalSeconds} s per scenario";
    }

    /// <summary>The value after "name :" on the first matching line of a /proc file.</summary>
    private static string? ProcLine(string path, string name)
    {
        try
        {
            var line = File.ReadLines(path).FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal));
            return line?[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }
}
