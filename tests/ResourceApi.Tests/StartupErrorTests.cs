using System.Globalization;
using System.Net;
using System.Net.Sockets;
using TestSupport;

namespace ResourceApi.Tests;

/// <summary>
/// Issue 13: the ResourceApi's settings are checked before it serves, and a failure to start is one line naming the
/// setting (exit 2 for a bad setting, 1 when the port is taken), never a stack trace. The built binary, its own process.
/// </summary>
public sealed class StartupErrorTests
{
    [TestCase("MaxDepth=0", 2, "MaxDepth must be between 1 and 100")]
    [TestCase("MaxDepth=deep", 2, "MaxDepth: 'deep' is not a whole number")]
    [TestCase("Issuer=not a url", 2, "Issuer must be the TokenService's absolute http(s) URL")]
    [TestCase("RevocationPollMilliseconds=1", 2, "RevocationPollMilliseconds must be between 100 and 60000")]
    [TestCase("Shutdown__DrainSeconds=-1", 2, "Shutdown:DrainSeconds must be between 0 and 300")]
    [TestCase("DATABASE_URL=garbage;;", 2, "DATABASE_URL: expected a PostgreSQL URL")]
    [TestCase("Logging__Format=fancy", 2, "Logging__Format: expected json (the default) or text")]
    [TestCase("ASPNETCORE_URLS=http://127.0.0.1:{taken}", 1, "ASPNETCORE_URLS: Failed to bind to address")]
    public async Task A_bad_setting_stops_the_api_with_one_line(string setting, int exitCode, string expected)
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var takenPort = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
        var environment = new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = Fixture.ConnectionString,
            ["Issuer"] = Fixture.Issuer.ToString().TrimEnd('/'),
            ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{Loopback.FreePort()}",
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
        };
        var (name, value) = (setting[..setting.IndexOf('=')], setting[(setting.IndexOf('=') + 1)..]);
        environment[name] = value.Replace("{taken}", takenPort);

        var run = await BinaryRun.RunAsync("ResourceApi.dll", [], environment, TimeSpan.FromSeconds(60));

        Assert.Multiple(() =>
        {
            Assert.That(run.TimedOut, Is.False, "it must stop by itself, not start serving: " + run.Out);
            Assert.That(run.ExitCode, Is.EqualTo(exitCode), run.Error);
            Assert.That(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries), Has.Length.EqualTo(1), run.Error);
            Assert.That(run.Error, Does.StartWith("error: ").And.Contain(expected));
            Assert.That(run.Error + run.Out, Does.Not.Contain("   at ").And.Not.Contain("Exception"), "no stack trace");
        });
    }
}
