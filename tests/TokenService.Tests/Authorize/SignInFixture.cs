using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using TestSupport;

namespace TokenService.Tests.Authorize;

/// <summary>
/// One TokenService per test class, with a user and two clients made once (Argon2 is deliberately slow):
/// a confidential web app and a public native app on a loopback redirect URI. The clock is a FakeTimeProvider
/// starting at the real time, so expiry tests move it instead of sleeping.
/// </summary>
public abstract class SignInFixture
{
    public const string Username = "alice";
    public const string Password = "correct horse battery staple";
    public const string WebRedirect = "https://client.example/callback";
    public const string NativeRedirect = "http://127.0.0.1:8765/callback";

    /// <summary>RFC 7636 appendix B's example S256 challenge: for requests whose code is never redeemed.</summary>
    public const string Challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    protected TokenServiceHost Host { get; private set; } = null!;
    protected Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactory<Program> App { get; private set; } = null!;
    protected FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);
    protected HttpClient Client { get; private set; } = null!;
    protected Guid UserId { get; private set; }
    protected string WebClientId { get; private set; } = null!;
    protected string WebSecret { get; private set; } = null!;
    protected string NativeClientId { get; private set; } = null!;

    /// <summary>Settings a class needs on top of the defaults (e.g. short refresh lifetimes).</summary>
    protected virtual Dictionary<string, string?> Settings => [];

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        Host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync(GetType().Name), Settings);
        App = Host.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<TimeProvider>(Clock)));
        Client = App.CreateClient();
        await Loopback.WaitUntilReadyAsync(Client);

        UserId = await Host.CreateUserAsync(Username, Password, "alice@example.com", "Alice Liddell", emailVerified: true);
        string? secret;
        (WebClientId, secret) = await Host.CreateClientAsync("confidential", [WebRedirect],
            "openid", "profile", "email", "offline_access", "metric:query");
        WebSecret = secret!;
        (NativeClientId, _) = await Host.CreateClientAsync("public", [NativeRedirect], "openid", "profile", "offline_access",
            "metric:query");
        // The web client doubles as a resource server that may introspect the native client's tokens (RFC 7662 s.4).
        App.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<TokenServiceOptions>>()
            .Value.IntrospectionClients = [WebClientId];
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
        await Host.DisposeAsync();
    }

    protected SignInDriver NewBrowser() => SignInDriver.Create(App);

    /// <summary>An authorization request for the native (public) client with PKCE; <paramref name="extra"/> overrides or adds.</summary>
    protected static Dictionary<string, string?> NativeRequest(string clientId, string challenge,
        params (string Key, string? Value)[] extra)
    {
        var query = new Dictionary<string, string?>
        {
            ["response_type"] = "code", ["client_id"] = clientId, ["redirect_uri"] = NativeRedirect,
            ["scope"] = "openid profile offline_access",
            ["state"] = "st-" + Guid.NewGuid().ToString("N")[..8], ["nonce"] = "n-" + Guid.NewGuid().ToString("N")[..8],
            ["code_challenge"] = challenge, ["code_challenge_method"] = "S256",
        };
        foreach (var (key, value) in extra)
        {
            query[key] = value;
        }

        return query;
    }

    /// <summary>Signs in with the native client and returns the code and the verifier that redeems it.</summary>
    protected async Task<(string Code, string Verifier)> GetNativeCodeAsync(string scope = "openid profile offline_access")
    {
        var (verifier, challenge) = SignInSupport.NewPkce();
        using var browser = NewBrowser();
        using var redirect = await browser.SignInAsync(NativeRequest(NativeClientId, challenge, ("scope", scope)), Username, Password);
        Assert.That(redirect.StatusCode, Is.EqualTo(HttpStatusCode.SeeOther));
        return (SignInDriver.QueryOf(redirect)["code"], verifier);
    }

    protected Task<HttpResponseMessage> TokenAsync(params (string Key, string Value)[] form) =>
        Client.PostAsync("/oauth2/token", new FormUrlEncodedContent(form.Select(p => KeyValuePair.Create(p.Key, p.Value))));

    protected Task<HttpResponseMessage> RedeemNativeAsync(string code, string verifier) =>
        TokenAsync(("grant_type", "authorization_code"), ("code", code), ("redirect_uri", NativeRedirect), ("client_id", NativeClientId),
            ("code_verifier", verifier));

    protected Task<HttpResponseMessage> RefreshNativeAsync(string refreshToken, string? scope = null) =>
        scope is null
            ? TokenAsync(("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("client_id", NativeClientId))
            : TokenAsync(("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("client_id", NativeClientId), ("scope", scope));

    protected static async Task AssertOAuthErrorAsync(HttpResponseMessage response, HttpStatusCode status, string error)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(status), body);
            Assert.That(JsonDocument.Parse(body).RootElement.GetProperty("error").GetString(), Is.EqualTo(error), body);
        });
    }

    /// <summary>Reads one value straight from the database, for assertions on stored state.</summary>
    protected async Task<T?> ScalarAsync<T>(string sql, object? parameters = null)
    {
        await using var connection = new NpgsqlConnection(Host.ConnectionString);
        return await Dapper.SqlMapper.ExecuteScalarAsync<T>(connection, sql, parameters);
    }
}
