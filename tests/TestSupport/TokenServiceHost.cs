using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Shared;

namespace TestSupport;

/// <summary>
/// The real TokenService (its own Program) on a fresh database. By default in-memory (TestServer); call
/// <see cref="StartOnLoopback"/> for real HTTP on 127.0.0.1 when another process or service must reach it.
/// </summary>
public sealed class TokenServiceHost : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> settings;

    public TokenServiceHost(string connectionString, IDictionary<string, string?>? overrides = null)
    {
        ConnectionString = connectionString;
        KeyEncryptionKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        settings = new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = connectionString,
            ["KEY_ENCRYPTION_KEY"] = KeyEncryptionKey,
            ["Issuer"] = "http://localhost:5000",
            ["Logging:LogLevel:Default"] = "Warning",
            // Tests that flood on purpose would wait out the tarpit; the tests of the pause itself set it back.
            ["RateLimitRefusalDelayMilliseconds"] = "0",
            // Every test host is disposed at its end and nothing balances it: no drain. The drain's own tests set it.
            ["Shutdown:DrainSeconds"] = "0",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
    }

    public string ConnectionString { get; }

    public string KeyEncryptionKey { get; }

    public string Setting(string key) => settings[key]!;

    /// <summary>Real Kestrel on loopback, on <paramref name="port"/> or a free one; returns the base address.</summary>
    public Uri StartOnLoopback(int port = 0)
    {
        UseKestrel(port);
        StartServer();
        return ClientOptions.BaseAddress;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }

    /// <summary>Waits until /readyz says the key ring is loaded, so the first token request never races start-up.</summary>
    public async Task<HttpClient> CreateReadyClientAsync()
    {
        var client = CreateClient();
        await Loopback.WaitUntilReadyAsync(client);
        return client;
    }

    /// <summary>Creates an application through the same code the CLI uses; returns (clientId, secret).</summary>
    public async Task<(string ClientId, string Secret)> CreateApplicationAsync(string? name = null, params string[] scopes)
    {
        var applications = Services.GetRequiredService<TokenService.Applications.Applications>();
        var (created, error) = await applications.CreateAsync(name ?? "app-" + Guid.NewGuid().ToString("N")[..10], "test", scopes, default);
        if (error is not null)
        {
            throw new InvalidOperationException(error.Message);
        }

        return (created!.ClientId, created.Secret!);
    }

    /// <summary>A client for the management API: a new application with <paramref name="scope"/> and its bearer token.</summary>
    public async Task<HttpClient> CreateManagementClientAsync(HttpClient tokenClient, string scope = "application:admin")
    {
        var (id, secret) = await CreateApplicationAsync(null, scope);
        var admin = CreateClient();
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await GetTokenAsync(tokenClient, id, secret));
        return admin;
    }

    /// <summary>A client_credentials token by client_secret_post; fails the test if the service refuses.</summary>
    public static async Task<string> GetTokenAsync(HttpClient client, string clientId, string secret, string? scope = null, string? tenant = null,
        string? policyValues = null)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret };
        if (scope is not null)
        {
            form["scope"] = scope;
        }

        if (tenant is not null)
        {
            form["tenant"] = tenant;
        }

        if (policyValues is not null)
        {
            form["policy_values"] = policyValues;
        }

        using var response = await client.PostAsync("/oauth2/token", new FormUrlEncodedContent(form));
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"token request failed: {(int)response.StatusCode} {body}");
        }

        return JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!;
    }

    public static AuthenticationHeaderValue Basic(string clientId, string secret) => new BasicCredentials(clientId, secret).ToHeader();
}
