using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using TestSupport;
using TokenService.Tests.Cli;

namespace TokenService.Tests.Token;

/// <summary>
/// Issue 17 point 2: an application with <c>requireDpop</c> (management API, CLI) gets tokens only with a DPoP proof
/// carrying a current server nonce (RFC 9449 s.8). Nonces are stateless: another instance with the same KEK accepts
/// them, and they go stale with time (the clock is a FakeTimeProvider).
/// </summary>
public sealed class RequireDpopTests
{
    private readonly FakeTimeProvider clock = new(DateTimeOffset.UtcNow);
    private readonly DPoPKey key = DPoPKey.Ec();
    private TokenServiceHost host = null!;
    private Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> app = null!;
    private HttpClient client = null!;
    private HttpClient admin = null!;
    private string tokenEndpoint = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("requiredpop"));
        app = host.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(clock)));
        client = app.CreateClient();
        await Loopback.WaitUntilReadyAsync(client);
        tokenEndpoint = host.Setting("Issuer").TrimEnd('/') + "/oauth2/token";
        var (id, secret) = await host.CreateApplicationAsync(null, "application:admin");
        admin = app.CreateClient();
        var adminToken = await TokenServiceHost.GetTokenAsync(client, id, secret);
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminToken);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        client.Dispose();
        admin.Dispose();
        key.Dispose();
        await app.DisposeAsync();
        await host.DisposeAsync();
    }

    private async Task<(string Id, string Secret)> CreateAsync(bool requireDpop)
    {
        using var response = await admin.PostAsJsonAsync("/applications", new Dictionary<string, object>
        {
            ["name"] = "dpop-" + Guid.NewGuid().ToString("N")[..8], ["scopes"] = new[] { "metric:query" }, ["requireDpop"] = requireDpop,
        });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), body.ToString());
        Assert.That(body.GetProperty("requireDpop").GetBoolean(), Is.EqualTo(requireDpop));
        return (body.GetProperty("clientId").GetString()!, body.GetProperty("secret").GetString()!);
    }

    private Task<HttpResponseMessage> TokenAsync(HttpClient http, (string Id, string Secret) application, string? proof)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/oauth2/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials", ["client_id"] = application.Id, ["client_secret"] = application.Secret,
            }),
        };
        if (proof is not null)
        {
            request.Headers.Add("DPoP", proof);
        }

        return http.SendAsync(request);
    }

    private string Proof(string? nonce = null) => key.Proof("POST", tokenEndpoint, nonce: nonce, issuedAt: clock.GetUtcNow());

    private static async Task<string> ErrorAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString()!;

    /// <summary>
    /// A narrowing update (requireDpop turned on) waits for the next whole second of the injected clock before it
    /// answers (Applications.UpdateAsync): the fake clock is moved on while the request runs.
    /// </summary>
    private async Task<HttpResponseMessage> PatchAsync(string clientId, object body)
    {
        var patch = admin.PatchAsJsonAsync($"/applications/{clientId}", body);
        while (!patch.IsCompleted)
        {
            await Task.Delay(20);
            clock.Advance(TimeSpan.FromMilliseconds(200));
        }

        return await patch;
    }

    private static string Nonce(HttpResponseMessage response) => response.Headers.GetValues("DPoP-Nonce").Single();

    [Test]
    public async Task The_nonce_flow_round_trip_ends_in_a_bound_token()
    {
        var application = await CreateAsync(requireDpop: true);

        // No proof at all: refused, with a nonce to start from.
        using var bare = await TokenAsync(client, application, null);
        var bareError = await ErrorAsync(bare);
        // A proof without the nonce: use_dpop_nonce, and the nonce to use (RFC 9449 s.8).
        using var withoutNonce = await TokenAsync(client, application, Proof());
        var nonce = Nonce(withoutNonce);
        var withoutNonceError = await ErrorAsync(withoutNonce);
        using var withNonce = await TokenAsync(client, application, Proof(nonce));
        var body = await withNonce.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Multiple(() =>
        {
            Assert.That(bare.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(bareError, Is.EqualTo("invalid_dpop_proof"));
            Assert.That(Nonce(bare), Is.Not.Empty);
            Assert.That(withoutNonce.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(withoutNonceError, Is.EqualTo("use_dpop_nonce"));
            Assert.That(withNonce.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
            Assert.That(body.GetProperty("token_type").GetString(), Is.EqualTo("DPoP"));
        });
    }

    [Test]
    public async Task A_made_up_or_stale_nonce_is_use_dpop_nonce()
    {
        var application = await CreateAsync(requireDpop: true);
        using var first = await TokenAsync(client, application, Proof());
        var nonce = Nonce(first);
        using var madeUp = await TokenAsync(client, application, Proof("made-up-nonce"));
        var madeUpError = await ErrorAsync(madeUp);

        // The nonce holds for its window and the next; eleven minutes on, it is stale.
        clock.Advance(TimeSpan.FromMinutes(11));
        using var stale = await TokenAsync(client, application, Proof(nonce));
        var staleError = await ErrorAsync(stale);
        var fresh = Nonce(stale);
        using var renewed = await TokenAsync(client, application, Proof(fresh));
        Assert.Multiple(() =>
        {
            Assert.That(madeUpError, Is.EqualTo("use_dpop_nonce"));
            Assert.That(staleError, Is.EqualTo("use_dpop_nonce"));
            Assert.That(fresh, Is.Not.EqualTo(nonce));
            Assert.That(renewed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task A_nonce_from_one_instance_is_accepted_by_another_with_the_same_key_encryption_key()
    {
        var application = await CreateAsync(requireDpop: true);
        using var first = await TokenAsync(client, application, Proof());
        await using var other = new TokenServiceHost(host.ConnectionString, new Dictionary<string, string?>
        {
            ["KEY_ENCRYPTION_KEY"] = host.KeyEncryptionKey,
        });
        await using var otherApp = other.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(clock)));
        using var otherClient = otherApp.CreateClient();
        await Loopback.WaitUntilReadyAsync(otherClient);
        using var response = await TokenAsync(otherClient, application, Proof(Nonce(first)));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task Without_require_dpop_a_proof_needs_no_nonce()
    {
        var application = await CreateAsync(requireDpop: false);
        using var response = await TokenAsync(client, application, Proof());
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task Require_dpop_is_set_and_lifted_by_patch_and_shown_by_get()
    {
        var application = await CreateAsync(requireDpop: false);
        using var on = await PatchAsync(application.Id, new { requireDpop = true });
        var shown = await admin.GetFromJsonAsync<JsonElement>($"/applications/{application.Id}");
        using var refused = await TokenAsync(client, application, null);
        var refusedError = await ErrorAsync(refused);
        using var untouched = await PatchAsync(application.Id, new { description = "still required" });
        var stillOn = await untouched.Content.ReadFromJsonAsync<JsonElement>();
        using var off = await PatchAsync(application.Id, new { requireDpop = false });
        var offBody = await off.Content.ReadFromJsonAsync<JsonElement>();
        using var bearer = await TokenAsync(client, application, null);
        using var typo = await PatchAsync(application.Id, new { dpopRequired = true });
        Assert.Multiple(() =>
        {
            Assert.That(on.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(shown.GetProperty("requireDpop").GetBoolean(), Is.True);
            Assert.That(refusedError, Is.EqualTo("invalid_dpop_proof"));
            Assert.That(stillOn.GetProperty("requireDpop").GetBoolean(), Is.True, "a PATCH without the member leaves it");
            Assert.That(offBody.GetProperty("requireDpop").GetBoolean(), Is.False);
            Assert.That(bearer.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(typo.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "the member is requireDpop; others are unknown");
        });
    }

    [Test]
    public async Task Requiring_dpop_revokes_the_bearer_tokens_issued_before()
    {
        var application = await CreateAsync(requireDpop: false);
        using var issued = await TokenAsync(client, application, null);
        var bearer = (await issued.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
        using var on = await PatchAsync(application.Id, new { requireDpop = true });
        Assert.That(on.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var reader = app.Services.GetRequiredService<TokenService.Issuance.AccessTokenReader>();
        Assert.That(await reader.ValidateAsync(bearer, null, default), Is.Null, "a Bearer token must not outlive requireDpop");
    }

    [Test]
    public async Task The_cli_sets_and_lifts_require_dpop()
    {
        var (code, created, error) = await CliRun.RunAsync(host.ConnectionString, "applications", "create", "--name",
            "cli-dpop-" + Guid.NewGuid().ToString("N")[..6], "--scopes", "metric:query", "--require-dpop");
        Assert.That(code, Is.Zero, error);
        var id = JsonDocument.Parse(created).RootElement.GetProperty("clientId").GetString()!;
        var (offCode, off, offError) = await CliRun.RunAsync(host.ConnectionString, "applications", "update", id, "--require-dpop",
            "false");
        var (onCode, on, onError) = await CliRun.RunAsync(host.ConnectionString, "applications", "update", id, "--require-dpop");
        var (badCode, _, badError) = await CliRun.RunAsync(host.ConnectionString, "applications", "update", id, "--require-dpop", "maybe");
        Assert.Multiple(() =>
        {
            Assert.That(JsonDocument.Parse(created).RootElement.GetProperty("requireDpop").GetBoolean(), Is.True);
            Assert.That(offCode, Is.Zero, offError);
            Assert.That(JsonDocument.Parse(off).RootElement.GetProperty("requireDpop").GetBoolean(), Is.False);
            Assert.That(onCode, Is.Zero, onError);
            Assert.That(JsonDocument.Parse(on).RootElement.GetProperty("requireDpop").GetBoolean(), Is.True);
            Assert.That(badCode, Is.Not.Zero, badError);
        });
    }
}
