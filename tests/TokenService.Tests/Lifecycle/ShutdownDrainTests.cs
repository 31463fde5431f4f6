using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TestSupport;

namespace TokenService.Tests.Lifecycle;

/// <summary>
/// Issue 18 point 4: a stopping instance (SIGTERM is the host's StopAsync) first answers /readyz 503 "draining" while it
/// still serves for Shutdown:DrainSeconds, so a load balancer checking /readyz stops sending before the listener closes.
/// </summary>
public sealed class ShutdownDrainTests
{
    [Test]
    [CancelAfter(60_000)]
    public async Task A_stopping_instance_says_draining_on_readyz_and_still_serves_until_the_drain_ends()
    {
        await using var host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("drain"),
            new Dictionary<string, string?> { ["Shutdown:DrainSeconds"] = "2" });
        var address = host.StartOnLoopback();
        var (id, secret) = await host.CreateApplicationAsync();
        using var client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
        await Loopback.WaitUntilReadyAsync(client);

        var clock = Stopwatch.StartNew();
        var stopping = host.Services.GetRequiredService<IHost>().StopAsync();
        await Task.Delay(300);
        using var ready = await client.GetAsync("/readyz");
        var status = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString();
        using var token = await client.PostAsync("/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = id, ["client_secret"] = secret,
        }));
        var stillServing = !stopping.IsCompleted;
        await stopping;
        var stoppedAfter = clock.Elapsed;
        var afterStop = await Refused(client);

        Assert.Multiple(() =>
        {
            Assert.That(ready.StatusCode, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
            Assert.That(status, Is.EqualTo("draining"));
            Assert.That(token.StatusCode, Is.EqualTo(HttpStatusCode.OK), "requests are still served while draining");
            Assert.That(token.Headers.ConnectionClose, Is.True, "kept-alive clients reconnect elsewhere");
            Assert.That(stillServing, Is.True);
            Assert.That(stoppedAfter, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(1.9)), "the host waits out the drain");
            Assert.That(afterStop, Is.True, "after the drain the listener is closed");
        });
    }

    [Test]
    public async Task The_host_shutdown_timeout_outlasts_the_drain()
    {
        await using var host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("draintimeout"),
            new Dictionary<string, string?> { ["Shutdown:DrainSeconds"] = "120" });
        var options = host.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<HostOptions>>().Value;
        Assert.That(options.ShutdownTimeout, Is.GreaterThan(TimeSpan.FromSeconds(120)));
    }

    private static async Task<bool> Refused(HttpClient client)
    {
        try
        {
            using var response = await client.GetAsync("/healthz");
            return false;
        }
        catch (HttpRequestException)
        {
            return true;
        }
    }
}
