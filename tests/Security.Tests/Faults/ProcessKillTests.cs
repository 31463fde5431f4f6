using System.Net;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Security.Tests.Infrastructure;
using TestSupport;

namespace Security.Tests.Faults;

/// <summary>
/// Issue 6 point 3b: the real binary killed with SIGKILL (no shutdown code runs) under load and started again on
/// the same database: tokens issued before still validate against the JWKS, and the signing key is the same one
/// (a crash must not mint a new key and orphan the old tokens).
/// </summary>
public sealed class ProcessKillTests
{
    [Test]
    [CancelAfter(120_000)]
    public async Task Tokens_issued_before_a_sigkill_validate_against_the_jwks_after_restart()
    {
        var database = await PostgresServer.CreateDatabaseAsync("sigkill");
        var kek = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await using var service = new TokenServiceProcess(database, kek);
        var created = await service.CliAsync("applications", "create", "--name", "sigkill-app", "--scopes", "metric:query");
        var (clientId, secret) = (created.GetProperty("clientId").GetString()!, created.GetProperty("secret").GetString()!);
        await service.StartAsync();

        using var client = new HttpClient { BaseAddress = service.BaseAddress };
        var before = await TokenServiceHost.GetTokenAsync(client, clientId, secret);

        // Kill in the middle of a burst, so requests are in flight when the process dies.
        using var burst = new CancellationTokenSource();
        var load = TokenLoad.RunAsync(client, clientId, secret, burst.Token);
        await Task.Delay(500);
        await service.KillAsync();
        await burst.CancelAsync();
        await load;

        await service.StartAsync();
        var validation = await JwksVerifier.ValidateAsync(client, before, "http://localhost:5000", "resource-api");
        var after = await TokenServiceHost.GetTokenAsync(client, clientId, secret);
        Assert.Multiple(() =>
        {
            Assert.That(validation.IsValid, Is.True, validation.Exception?.Message);
            Assert.That(new JsonWebToken(after).Kid, Is.EqualTo(new JsonWebToken(before).Kid), "the same signing key after the crash");
        });
    }

    [Test]
    [CancelAfter(60_000)]
    public async Task Sigterm_drains_a_request_in_flight_which_completes_with_200()
    {
        var database = await PostgresServer.CreateDatabaseAsync("sigterm");
        await using var service = new TokenServiceProcess(database, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        var created = await service.CliAsync("applications", "create", "--name", "sigterm-app", "--scopes", "metric:query");
        await service.StartAsync();

        // The request is in flight: headers sent, half the body sent, the rest held back until after SIGTERM.
        var body = new PausedContent($"grant_type=client_credentials&client_id={created.GetProperty("clientId").GetString()}" +
                                     $"&client_secret={Uri.EscapeDataString(created.GetProperty("secret").GetString()!)}");
        using var client = new HttpClient { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var inFlight = client.PostAsync("/oauth2/token", body);
        await body.HalfSent.WaitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(300);

        service.Terminate();
        await Task.Delay(1000);
        var stillRunning = !service.HasExited;
        body.Release();
        using var response = await inFlight;
        using var exitWait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await service.WaitForExitAsync(exitWait.Token);

        Assert.Multiple(async () =>
        {
            Assert.That(stillRunning, Is.True, "the host waits for the request in flight");
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
            Assert.That(service.ExitCode, Is.EqualTo(0), "a graceful stop exits 0");
        });
    }

    /// <summary>A form body sent in two halves with a pause the test controls.</summary>
    private sealed class PausedContent : HttpContent
    {
        private readonly byte[] bytes;
        private readonly TaskCompletionSource halfSent = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public PausedContent(string form)
        {
            bytes = System.Text.Encoding.ASCII.GetBytes(form);
            Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-www-form-urlencoded");
        }

        public Task HalfSent => halfSent.Task;

        public void Release() => release.TrySetResult();

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var half = bytes.Length / 2;
            await stream.WriteAsync(bytes.AsMemory(0, half));
            await stream.FlushAsync();
            halfSent.TrySetResult();
            await release.Task;
            await stream.WriteAsync(bytes.AsMemory(half));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = bytes.Length;
            return true;
        }
    }
}
