using System.Collections.Concurrent;
using Shared.Protocol;
using TestSupport;

using ResourceApi.Tests.Infrastructure;

namespace ResourceApi.Tests;

/// <summary>
/// What most tests share, started once per run: a database (both migration sets, demo data), the TokenService on
/// loopback and an in-memory ResourceApi that reads its discovery and JWKS over real HTTP. Tokens are real, from the
/// TokenService, and cached per (scope, tenant) because each costs an Argon2 verification.
/// </summary>
[SetUpFixture]
public sealed class Fixture
{
    private static readonly ConcurrentDictionary<(string, string?), string> Tokens = new();

    public static string ConnectionString { get; private set; } = null!;

    public static TokenServiceHost TokenService { get; private set; } = null!;

    public static Uri Issuer { get; private set; } = null!;

    public static HttpClient TokenClient { get; private set; } = null!;

    public static ResourceApiHost Api { get; private set; } = null!;

    public static HttpClient ApiClient { get; private set; } = null!;

    /// <summary>An application holding every API scope; tokens ask for subsets.</summary>
    public static (string ClientId, string Secret) Application { get; private set; }

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        ConnectionString = await PostgresServer.CreateDatabaseAsync("resourceapi");
        (TokenService, Issuer, TokenClient) = await LoopbackTokenService.StartAsync(ConnectionString);
        Application = await TokenService.CreateApplicationAsync(null, [.. Scopes.ApiScopes]);
        Api = new ResourceApiHost(ConnectionString, Issuer);
        ApiClient = Api.CreateClient();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        ApiClient.Dispose();
        await Api.DisposeAsync();
        TokenClient.Dispose();
        await TokenService.DisposeAsync();
    }

    /// <summary>A real access token with exactly these scopes (space-separated) and optional tenant.</summary>
    public static async Task<string> TokenAsync(string scope, string? tenant = null)
    {
        if (Tokens.TryGetValue((scope, tenant), out var cached))
        {
            return cached;
        }

        var token = await TokenServiceHost.GetTokenAsync(TokenClient, Application.ClientId, Application.Secret, scope, tenant);
        Tokens[(scope, tenant)] = token;
        return token;
    }

    public static Task<GraphQLCall> QueryAsync(string query, string? token, object? variables = null) =>
        GraphQLCall.PostAsync(ApiClient, query, token, variables);
}
