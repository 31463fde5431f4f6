using TokenService.Cli;

namespace TokenService.Tests.Cli;

/// <summary>Runs the ops command line in-process against one database, exactly as `TokenService ...` runs it.</summary>
internal static class CliRun
{
    public static async Task<(int Code, string Out, string Error)> RunAsync(string database, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await OpsCli.RunAsync(args, stdout, stderr, new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = database,
            ["KEY_ENCRYPTION_KEY"] = Convert.ToBase64String(new byte[32]),
        });
        return (code, stdout.ToString(), stderr.ToString());
    }
}
