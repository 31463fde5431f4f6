using System.Net;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TestSupport;

namespace TokenService.Tests.Applications;

/// <summary>What happens to credentials when an application's secret is rotated, it is deleted, or hashing gets stronger.</summary>
public sealed class ApplicationSecretTests
{
    private TokenServiceHost host = null!;
    private HttpClient client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("appsecret"));
        client = await host.CreateReadyClientAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        client.Dispose();
        await host.DisposeAsync();
    }

    private async Task<HttpStatusCode> TokenStatusAsync(string id, string secret)
    {
        using var response = await client.PostAsync("/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = id, ["client_secret"] = secret,
        }));
        return response.StatusCode;
    }

    private TokenService.Applications.Applications Applications => host.Services.GetRequiredService<TokenService.Applications.Applications>();

    [Test]
    public async Task Only_the_secret_hash_is_stored()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        await using var connection = new NpgsqlConnection(host.ConnectionString);
        var row = await connection.QuerySingleAsync<string>("SELECT row_to_json(a)::text FROM applications a WHERE client_id = @id", new { id });
        Assert.Multiple(() =>
        {
            Assert.That(row, Does.Not.Contain(secret));
            Assert.That(row, Does.Not.Contain(secret["tss_".Length..]));
            Assert.That(row, Does.Contain("$argon2id$v=19$m=19456,t=2,p=1$"));
        });
    }

    [Test]
    public async Task After_rotation_the_old_secret_fails_and_the_new_one_works()
    {
        var (id, oldSecret) = await host.CreateApplicationAsync(null, "metric:query");
        Assert.That(await TokenStatusAsync(id, oldSecret), Is.EqualTo(HttpStatusCode.OK));
        var rotated = await Applications.RotateSecretAsync(id, default);
        Assert.Multiple(async () =>
        {
            Assert.That(await TokenStatusAsync(id, oldSecret), Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(await TokenStatusAsync(id, rotated!.Secret!), Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task A_deleted_application_gets_invalid_client()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        Assert.That(await TokenStatusAsync(id, secret), Is.EqualTo(HttpStatusCode.OK));
        await Applications.DeleteAsync(id, default);
        Assert.That(await TokenStatusAsync(id, secret), Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task A_successful_verify_rehashes_when_the_configured_parameters_changed()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:query");
        await using var stronger = new TokenServiceHost(host.ConnectionString, new Dictionary<string, string?>
        {
            ["KEY_ENCRYPTION_KEY"] = host.KeyEncryptionKey,
            ["Argon2:Iterations"] = "3",
        });
        using var strongerClient = await stronger.CreateReadyClientAsync();
        await TokenServiceHost.GetTokenAsync(strongerClient, id, secret);
        await using var connection = new NpgsqlConnection(host.ConnectionString);
        var hash = await connection.ExecuteScalarAsync<string>("SELECT secret_hash FROM applications WHERE client_id = @id", new { id });
        Assert.Multiple(async () =>
        {
            Assert.That(hash, Does.StartWith("$argon2id$v=19$m=19456,t=3,p=1$"));
            Assert.That(await TokenStatusAsync(id, secret), Is.EqualTo(HttpStatusCode.OK), "the old parameters still verify the new hash");
        });
    }

    [Test]
    public async Task A_wrong_secret_does_not_rehash()
    {
        var (id, _) = await host.CreateApplicationAsync(null, "metric:query");
        await using var connection = new NpgsqlConnection(host.ConnectionString);
        var before = await connection.ExecuteScalarAsync<string>("SELECT secret_hash FROM applications WHERE client_id = @id", new { id });
        await TokenStatusAsync(id, "tss_wrong");
        var after = await connection.ExecuteScalarAsync<string>("SELECT secret_hash FROM applications WHERE client_id = @id", new { id });
        Assert.That(after, Is.EqualTo(before));
    }
}
