using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using TestSupport;
using TokenService.Keys;

namespace Security.Tests.Infrastructure;

/// <summary>
/// Both services in memory on one fresh database: the real TokenService (logging configured at Trace as an operator
/// could, every entry captured, a client address
/// on every request) and the real ResourceApi, whose discovery, JWKS and Basic exchange go to that TokenService
/// through the TestServer handler instead of a socket. Fast enough for the hostile corpus.
/// </summary>
public sealed class SecurityStack : IAsyncDisposable
{
    public const string Issuer = "http://localhost:5000";
    public const string Audience = "resource-api";

    private SecurityStack(TokenServiceHost baseHost, WebApplicationFactory<Program> tokens, WebApplicationFactory<ResourceApi.Program> api,
        LogCapture logs)
    {
        BaseHost = baseHost;
        Tokens = tokens;
        Api = api;
        Logs = logs;
        TokenClient = tokens.CreateClient();
        ApiClient = api.CreateClient();
    }

    public TokenServiceHost BaseHost { get; }

    public WebApplicationFactory<Program> Tokens { get; }

    public WebApplicationFactory<ResourceApi.Program> Api { get; }

    public LogCapture Logs { get; }

    public HttpClient TokenClient { get; }

    public HttpClient ApiClient { get; }

    /// <param name="traceLogs">Log everything at Trace (as an operator could configure) into <see cref="Logs"/>; the console stays at Warning.</param>
    public static async Task<SecurityStack> StartAsync(string purpose, bool traceLogs = false)
    {
        var level = traceLogs ? "Trace" : "Warning";
        var logs = new LogCapture();
        var connectionString = await PostgresServer.CreateDatabaseAsync(purpose);
        var baseHost = new TokenServiceHost(connectionString);
        var tokens = baseHost.WithWebHostBuilder(builder => builder
            .UseSetting("Logging:LogLevel:Default", level)
            .UseSetting("Logging:LogLevel:Microsoft.AspNetCore", level)
            .UseSetting("Logging:Console:LogLevel:Default", "Warning")
            .ConfigureLogging(logging => logging.AddProvider(logs))
            .ConfigureServices(services => services.AddSingleton<IStartupFilter, TestAddress>()));
        await Loopback.WaitUntilReadyAsync(tokens.CreateClient());

        var api = new ResourceApiHost(connectionString, Issuer, services =>
        {
            // Configure (not PostConfigure): JwtBearer builds its ConfigurationManager from the backchannel afterwards.
            services.Configure<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme,
                o => o.BackchannelHttpHandler = tokens.Server.CreateHandler());
            // The Basic exchange and the revocation feed poller reach the TokenService by named HttpClients.
            services.AddHttpClient("token-endpoint").ConfigurePrimaryHttpMessageHandler(() => tokens.Server.CreateHandler());
            services.AddHttpClient("revocations").ConfigurePrimaryHttpMessageHandler(() => tokens.Server.CreateHandler());
        }, new Dictionary<string, string?>
        {
            ["Audience"] = Audience,
            ["JwksRefreshSeconds"] = "5",
            ["Logging:LogLevel:Default"] = level,
            ["Logging:LogLevel:Microsoft.AspNetCore"] = level,
            ["Logging:Console:LogLevel:Default"] = "Warning",
        }).WithWebHostBuilder(builder => builder.ConfigureLogging(logging => logging.AddProvider(logs.ForAnotherHost())));
        return new SecurityStack(baseHost, tokens, api, logs);
    }

    /// <summary>An application through the same code the CLI uses.</summary>
    public async Task<(string ClientId, string Secret)> CreateApplicationAsync(params string[] scopes)
    {
        var applications = Tokens.Services.GetRequiredService<TokenService.Applications.Applications>();
        var (created, error) = await applications.CreateAsync("sec-" + Guid.NewGuid().ToString("N")[..10], "security test", scopes, default);
        return error is null ? (created!.ClientId, created.Secret!) : throw new InvalidOperationException(error.Message);
    }

    /// <summary>A confidential web application for the authorization code flow, and a user who can sign in to it.</summary>
    public async Task<(string ClientId, string Secret, string Username, string Password)> CreateUserAppAsync()
    {
        var applications = Tokens.Services.GetRequiredService<TokenService.Applications.Applications>();
        var (created, error) = await applications.CreateAsync("web-" + Guid.NewGuid().ToString("N")[..10], "security test web app",
            ["openid", "profile", "email", "offline_access", "metric:query"],
            new TokenService.Applications.ClientSettings("confidential", [UserSignIn.RedirectUri], ["authorization_code", "refresh_token"]), default);
        if (error is not null)
        {
            throw new InvalidOperationException(error.Message);
        }

        var username = "user" + Guid.NewGuid().ToString("N")[..8];
        var password = "pw-" + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12));
        var (_, userError) = await Tokens.Services.GetRequiredService<TokenService.Users.UserAccounts>()
            .CreateAsync(username, password, username + "@example.com", "Test User", true, default);
        return userError is null ? (created!.ClientId, created.Secret!, username, password) : throw new InvalidOperationException(userError.Message);
    }

    /// <summary>A browser: keeps cookies, does not follow redirects.</summary>
    public HttpClient CreateBrowser() =>
        Tokens.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    public Task<string> TokenAsync(string clientId, string secret, string? scope = null) =>
        TokenServiceHost.GetTokenAsync(TokenClient, clientId, secret, scope);

    /// <summary>The service's own signing key, so tests can sign tokens that differ from real ones in one claim only.</summary>
    public (string Kid, System.Security.Cryptography.RSA Rsa) SigningKey()
    {
        var snapshot = Tokens.Services.GetRequiredService<KeyRing>().Current!;
        var key = (RsaSecurityKey)snapshot.Signer.Credentials.Key;
        return (snapshot.SigningKid, key.Rsa);
    }

    public async Task<JsonElement> JwksAsync() =>
        JsonDocument.Parse(await TokenClient.GetStringAsync("/.well-known/jwks.json")).RootElement.GetProperty("keys")[0].Clone();

    /// <summary>True when the TokenService maps this path (another issue may not have added it yet).</summary>
    public async ValueTask DisposeAsync()
    {
        TokenClient.Dispose();
        ApiClient.Dispose();
        await Api.DisposeAsync();
        await Tokens.DisposeAsync();
        await BaseHost.DisposeAsync();
    }
}
