using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Npgsql;
using TestSupport;
using TokenService.Crypto;
using TokenService.Keys;

namespace TokenService.Tests.Keys;

/// <summary>Signing keys: generated on first start, stored sealed under the KEK, shared by restarts and instances.</summary>
public sealed class SigningKeyTests
{
    [Test]
    public async Task First_start_generates_one_key_and_publishes_it()
    {
        var database = await PostgresServer.CreateDatabaseAsync("keys");
        await using var host = new TokenServiceHost(database);
        using var client = await host.CreateReadyClientAsync();
        var jwks = JsonDocument.Parse(await client.GetStringAsync("/.well-known/jwks.json")).RootElement.GetProperty("keys");
        await using var connection = new NpgsqlConnection(database);
        var kids = (await connection.QueryAsync<string>("SELECT kid FROM signing_keys")).ToArray();
        var key = jwks.EnumerateArray().Single();
        Assert.Multiple(() =>
        {
            Assert.That(kids, Has.Length.EqualTo(1));
            Assert.That(key.GetProperty("kid").GetString(), Is.EqualTo(kids[0]));
            Assert.That(key.GetProperty("kty").GetString(), Is.EqualTo("RSA"));
            Assert.That(key.GetProperty("use").GetString(), Is.EqualTo("sig"));
            Assert.That(key.GetProperty("alg").GetString(), Is.EqualTo("RS256"));
            Assert.That(Base64UrlLength(key.GetProperty("n").GetString()!), Is.EqualTo(256), "2048-bit modulus");
            Assert.That(key.TryGetProperty("d", out _), Is.False, "no private part is ever published");
            Assert.That(key.TryGetProperty("p", out _), Is.False);
        });
    }

    [Test]
    public async Task Private_key_is_stored_sealed_and_opens_only_with_the_kek()
    {
        var database = await PostgresServer.CreateDatabaseAsync("keyseal");
        await using var host = new TokenServiceHost(database);
        using var _ = await host.CreateReadyClientAsync();
        await using var connection = new NpgsqlConnection(database);
        var (kid, sealedKey) = await connection.QuerySingleAsync<(string, byte[])>("SELECT kid, private_key_sealed FROM signing_keys");

        var rightKek = new KeyEncryption(Convert.FromBase64String(host.KeyEncryptionKey));
        var pkcs8 = rightKek.Open(sealedKey, kid);
        using var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(pkcs8, out var read);
        Assert.Multiple(() =>
        {
            Assert.That(read, Is.EqualTo(pkcs8.Length));
            Assert.That(sealedKey.AsSpan().IndexOf(pkcs8.AsSpan(0, 32)), Is.EqualTo(-1), "the stored bytes are not the plaintext key");
            Assert.Throws<AuthenticationTagMismatchException>(() => new KeyEncryption(RandomNumberGenerator.GetBytes(32)).Open(sealedKey, kid));
            Assert.Throws<AuthenticationTagMismatchException>(() => rightKek.Open(sealedKey, "another-kid"));
        });
    }

    [Test]
    public async Task A_restarted_service_signs_with_the_same_key_and_old_tokens_still_verify()
    {
        var database = await PostgresServer.CreateDatabaseAsync("keyrestart");
        string kek, token;
        await using (var first = new TokenServiceHost(database))
        {
            using var client = await first.CreateReadyClientAsync();
            var (id, secret) = await first.CreateApplicationAsync(null, "metric:query");
            token = await TokenServiceHost.GetTokenAsync(client, id, secret);
            kek = first.KeyEncryptionKey;
        }

        await using var second = new TokenServiceHost(database, new Dictionary<string, string?> { ["KEY_ENCRYPTION_KEY"] = kek });
        using var secondClient = await second.CreateReadyClientAsync();
        var result = await JwksVerifier.ValidateAsync(secondClient, token, "http://localhost:5000", "resource-api");
        Assert.Multiple(() =>
        {
            Assert.That(result.IsValid, Is.True);
            Assert.That(second.Services.GetRequiredService<KeyRing>().Current!.SigningKid, Is.EqualTo(new JsonWebToken(token).Kid));
        });
    }

    [Test]
    public async Task Two_instances_starting_on_an_empty_database_agree_on_one_key()
    {
        var database = await PostgresServer.CreateDatabaseAsync("keytwo");
        await using var a = new TokenServiceHost(database);
        await using var b = new TokenServiceHost(database, new Dictionary<string, string?> { ["KEY_ENCRYPTION_KEY"] = a.KeyEncryptionKey });
        var clients = await Task.WhenAll(a.CreateReadyClientAsync(), b.CreateReadyClientAsync());
        var kidA = a.Services.GetRequiredService<KeyRing>().Current!.SigningKid;
        var kidB = b.Services.GetRequiredService<KeyRing>().Current!.SigningKid;
        await using var connection = new NpgsqlConnection(database);
        Assert.Multiple(async () =>
        {
            Assert.That(kidA, Is.EqualTo(kidB));
            Assert.That(await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM signing_keys"), Is.EqualTo(1));
        });
        foreach (var c in clients)
        {
            c.Dispose();
        }
    }

    [Test]
    public async Task Key_size_is_configurable()
    {
        await using var host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("keysize"),
            new Dictionary<string, string?> { ["RsaKeySize"] = "3072" });
        using var client = await host.CreateReadyClientAsync();
        var n = JsonDocument.Parse(await client.GetStringAsync("/.well-known/jwks.json")).RootElement.GetProperty("keys")[0].GetProperty("n").GetString()!;
        Assert.That(Base64UrlLength(n), Is.EqualTo(384));
    }

    [Test]
    public void The_service_refuses_to_start_without_a_kek_outside_development()
    {
        // The one line the operator reads (and exit code 2) is checked on the real binary, in its own process:
        // StartupErrorTests, case (Service, "KEY_ENCRYPTION_KEY="). Capturing Console.Error here raced with NUnit, which
        // sets the console writers as each parallel test starts, so this test checks only that the host does not serve.
        var host = new TokenServiceHost("Host=127.0.0.1;Port=1;Database=x;Username=x", new Dictionary<string, string?> { ["KEY_ENCRYPTION_KEY"] = null });
        var served = false;
        try
        {
            using var client = host.CreateClient();
            served = client.GetAsync("/healthz").GetAwaiter().GetResult().IsSuccessStatusCode;
        }
        catch (Exception e) when (e is not AssertionException)
        {
            // The factory finds the host stopped: what "refuses to start" looks like from inside the process.
        }

        try
        {
            host.Dispose();
        }
        catch (ArgumentNullException)
        {
            // WebApplicationFactory cannot stop a host that never started; there is nothing left to stop.
        }

        Assert.That(served, Is.False, "the host must not serve");
    }

    [TestCase("not base64!")]
    [TestCase("c2hvcnQ=")]
    public void A_malformed_kek_is_refused(string kek) =>
        Assert.That(KeyEncryption.TryParse(kek, out _), Is.False);

    private static int Base64UrlLength(string value) => Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(value).Length;
}
