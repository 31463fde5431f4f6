using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace ResourceApi.Tests.Infrastructure;

/// <summary>
/// The real graphql-js (the npm package every GraphQL tool builds on), run by node from Tools/graphql-js. Its
/// packages are installed from the npm registry with the committed lock file on first use.
/// </summary>
public static class GraphQLJs
{
    private static readonly SemaphoreSlim Install = new(1, 1);

    public static string Directory([CallerFilePath] string source = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "..", "Tools", "graphql-js"));

    public static async Task<string> RunAsync(string stdin, params string[] args)
    {
        await EnsureInstalledAsync();
        var (code, output, error) = await ExecAsync("node", ["introspect.mjs", .. args], stdin);
        return code == 0 ? output : throw new AssertionException($"node introspect.mjs {string.Join(' ', args)} failed ({code}): {error}");
    }

    private static async Task EnsureInstalledAsync()
    {
        await Install.WaitAsync();
        try
        {
            if (File.Exists(Path.Combine(Directory(), "node_modules", "graphql17", "package.json")))
            {
                return;
            }

            var (code, _, error) = await ExecAsync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], "");
            if (code != 0)
            {
                throw new AssertionException($"npm ci in {Directory()} failed ({code}); node and npm are needed for this test: {error}");
            }
        }
        finally
        {
            Install.Release();
        }
    }

    private static async Task<(int Code, string Output, string Error)> ExecAsync(string file, string[] args, string stdin)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = Directory(),
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new AssertionException($"could not start {file}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
