using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;

namespace Bench;

/// <summary>
/// The machine's RS256 ceiling: `openssl speed rsa2048` signs on one core; .NET signs through the same OpenSSL,
/// so sign/s × cores is the most tokens/s any implementation could reach here.
/// </summary>
internal sealed record RsaCeiling(double SignPerSecondPerCore, int Cores)
{
    public double Ceiling => SignPerSecondPerCore * Cores;

    public static async Task<RsaCeiling?> MeasureAsync(Report report)
    {
        var start = new ProcessStartInfo("openssl", ["speed", "-seconds", "3", "rsa2048"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        try
        {
            using var openssl = Process.Start(start)!;
            var stdout = openssl.StandardOutput.ReadToEndAsync();
            var stderr = openssl.StandardError.ReadToEndAsync();
            await openssl.WaitForExitAsync();
            if (Parse(await stdout) is { } signs)
            {
                var rsa = new RsaCeiling(signs, Environment.ProcessorCount);
                report.Info("RSA-2048 sign/s, one core (openssl speed)", Report.Num(signs, "N0"));
                report.Info($"RSA ceiling: sign/s × {rsa.Cores} cores", Report.Num(rsa.Ceiling, "N0"));
                return rsa;
            }

            report.Unavailable("RSA ceiling (openssl speed)", $"could not parse openssl output: {(await stderr).Trim()}");
        }
        catch (Win32Exception)
        {
            report.Unavailable("RSA ceiling (openssl speed)", "openssl not found: apt-get install openssl");
        }

        return null;
    }

    /// <summary>
    /// CPU per RS256 signature through .NET's RSA (the call the TokenService and JsonWebTokenHandler both make), with
    /// <paramref name="threads"/> threads signing a token-sized input at once for <paramref name="duration"/>. The bench
    /// process's CPU over the signatures: its load threads are idle by then.
    /// </summary>
    public static double DotNetSignMicroseconds(int threads, TimeSpan duration)
    {
        using var rsa = RSA.Create(2048);
        var input = new byte[640];
        Random.Shared.NextBytes(input);
        long signed = 0;
        // CPU time, not wall time: a neighbour taking a core slows the signing down but does not make it cost more.
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
        {
            var signature = new byte[256];
            long mine = 0;
            while (clock.Elapsed < duration)
            {
                rsa.TrySignData(input, signature, HashAlgorithmName.SHA256,
                    RSASignaturePadding.Pkcs1, out _);
                mine++;
            }

            Interlocked.Add(ref signed, mine);
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        return (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMicroseconds / signed;
    }

    /// <summary>The line "rsa 2048 bits 0.000277s 0.000008s   3610.4 124811.0": sign/s is the fifth number.</summary>
    private static double? Parse(string output)
    {
        var line = output.Split('\n').FirstOrDefault(l => l.TrimStart().StartsWith("rsa 2048 bits", StringComparison.Ordinal));
        var fields = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields is { Length: >= 6 } && double.TryParse(fields[5], NumberStyles.Float, CultureInfo.InvariantCulture, out var signs) ? signs : null;
    }
}
