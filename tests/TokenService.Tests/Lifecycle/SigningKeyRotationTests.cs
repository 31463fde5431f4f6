using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Dapper;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Npgsql;
using Shared.Database;
using Shared.Protocol;
using TestSupport;
using TokenService.Cli;
using TokenService.Crypto;
using TokenService.Issuance;
using TokenService.Keys;

namespace TokenService.Tests.Lifecycle;

/// <summary>
/// Issue 5 point 5 on the real key store and refresher, with a fake clock: a new key is published before it signs,
/// signs after its lead time, and the old one stays published until every token it signed has expired, then goes.
/// </summary>
public sealed class SigningKeyRotationTests
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(3600);
    private static readonly TimeSpan Lead = TimeSpan.FromMinutes(10);

    private NpgsqlDataSource db = null!;
    private string connectionString = null!;
    private FakeTimeProvider time = null!;
    private SigningKeyStore store = null!;
    private KeyRing ring = null!;
    private KeyRingRefresher refresher = null!;
    private AccessTokenIssuer issuer = null!;
    private byte[] kek = null!;

    [SetUp]
    public async Task SetUpAsync()
    {
        connectionString = await PostgresServer.CreateDatabaseAsync("keyrotation");
        db = Postgres.CreateDataSource(connectionString, "tests");
        time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = Options.Create(new TokenServiceOptions { AccessTokenLifetimeSeconds = (int)Lifetime.TotalSeconds });
        kek = RandomNumberGenerator.GetBytes(32);
        store = new SigningKeyStore(db, new KeyEncryption(kek), options, time);
        ring = new KeyRing();
        refresher = new KeyRingRefresher(store, ring, options, time, new ApplicationLifetime(NullLogger<ApplicationLifetime>.Instance),
            NullLogger<KeyRingRefresher>.Instance);
        issuer = new AccessTokenIssuer(ring, options, time);
        await store.EnsureOneExistsAsync(default);
        await refresher.ReloadAsync(default);
    }

    [TearDown]
    public async Task TearDownAsync()
    {
        refresher.Dispose();
        await db.DisposeAsync();
    }

    private string SigningKid() => new JsonWebToken(issuer.Issue(new AccessTokenRequest("c", "c", ["metric:query"], null)).Jwt).Kid;

    private IEnumerable<string> PublishedKids() => ring.Current!.PublishedKeys.Select(k => k.Kid);

    [Test]
    public async Task A_pending_key_is_published_but_does_not_sign()
    {
        var old = ring.Current!.SigningKid;
        var added = await store.AddAsync(Lead, default);
        await refresher.ReloadAsync(default);
        Assert.Multiple(() =>
        {
            Assert.That(PublishedKids(), Is.EquivalentTo(new[] { old, added.Kid }));
            Assert.That(SigningKid(), Is.EqualTo(old));
        });
    }

    [Test]
    public async Task After_the_lead_time_the_new_key_signs_and_the_old_one_stays_published()
    {
        var old = ring.Current!.SigningKid;
        var added = await store.AddAsync(Lead, default);
        time.Advance(Lead + TimeSpan.FromSeconds(1));
        await refresher.ReloadAsync(default);
        Assert.Multiple(() =>
        {
            Assert.That(SigningKid(), Is.EqualTo(added.Kid));
            Assert.That(PublishedKids(), Does.Contain(old), "tokens it signed are still alive");
        });
    }

    [Test]
    public async Task The_old_key_disappears_once_every_token_it_signed_has_expired()
    {
        var old = ring.Current!.SigningKid;
        await store.AddAsync(Lead, default);
        time.Advance(Lead);
        var margin = refresher.Lifecycle.Margin;
        time.Advance(Lifetime + margin - TimeSpan.FromSeconds(1));
        await refresher.ReloadAsync(default);
        var stillPublished = PublishedKids().Contains(old);
        time.Advance(TimeSpan.FromSeconds(2));
        await refresher.ReloadAsync(default);
        Assert.Multiple(() =>
        {
            Assert.That(stillPublished, Is.True, "published until lifetime + margin after it stopped signing");
            Assert.That(PublishedKids(), Does.Not.Contain(old));
        });
    }

    [TestCase(0, "pending", "active")]
    [TestCase(601, "active", "retiring")]
    [TestCase(601 + 3600 + 301, "active", "expired")]
    public async Task Keys_list_shows_each_keys_state(int secondsAfterRotation, string newState, string oldState)
    {
        var old = ring.Current!.SigningKid;
        var added = await store.AddAsync(Lead, default);
        var lifecycle = refresher.Lifecycle;
        var keys = await store.ListAsync(default);
        var now = time.GetUtcNow().AddSeconds(secondsAfterRotation);
        Assert.Multiple(() =>
        {
            Assert.That(lifecycle.StateOf(keys.Single(k => k.Kid == added.Kid), keys, now).ToString().ToLowerInvariant(), Is.EqualTo(newState));
            Assert.That(lifecycle.StateOf(keys.Single(k => k.Kid == old), keys, now).ToString().ToLowerInvariant(), Is.EqualTo(oldState));
        });
    }

    [Test]
    public async Task The_cli_lists_both_keys_with_their_states_after_a_rotation()
    {
        var settings = new Dictionary<string, string?> { ["DATABASE_URL"] = connectionString, ["KEY_ENCRYPTION_KEY"] = Convert.ToBase64String(kek) };
        var output = new StringWriter();
        Assert.That(await OpsCli.RunAsync(["keys", "rotate", "--lead-seconds", "600"], TextWriter.Null, TextWriter.Null, settings), Is.EqualTo(OpsCli.Ok));
        Assert.That(await OpsCli.RunAsync(["keys", "list"], output, TextWriter.Null, settings), Is.EqualTo(OpsCli.Ok));
        Assert.That(output.ToString(), Does.Contain("\"pending\"").And.Contain("\"active\""));
    }

    [Test]
    public async Task A_rotation_from_RS256_to_ES256_publishes_both_and_old_tokens_still_validate()
    {
        var rsaToken = issuer.Issue(new AccessTokenRequest("c", "c", ["metric:query"], null)).Jwt;
        var added = await store.AddAsync(Lead, default, algorithm: SigningAlgorithms.ES256);
        time.Advance(Lead + TimeSpan.FromSeconds(1));
        await refresher.ReloadAsync(default);
        var ecToken = issuer.Issue(new AccessTokenRequest("c", "c", ["metric:query"], null)).Jwt;

        var jwks = new JsonWebKeySet(System.Text.Encoding.UTF8.GetString(ring.Current!.JwksJson));
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = "http://localhost:5000",
            ValidAudience = "resource-api",
            IssuerSigningKeys = jwks.GetSigningKeys(),
            ValidAlgorithms = SigningAlgorithms.All,
            LifetimeValidator = (_, _, _, _) => true,
        };
        var handler = new JsonWebTokenHandler();
        var rsaResult = await handler.ValidateTokenAsync(rsaToken, parameters);
        var ecResult = await handler.ValidateTokenAsync(ecToken, parameters);
        Assert.Multiple(() =>
        {
            Assert.That(new JsonWebToken(ecToken).Alg, Is.EqualTo("ES256"));
            Assert.That(new JsonWebToken(ecToken).Kid, Is.EqualTo(added.Kid));
            Assert.That(new JsonWebToken(rsaToken).Alg, Is.EqualTo("RS256"));
            Assert.That(jwks.Keys.Select(k => (k.Kty, k.Alg)), Is.EquivalentTo(new[] { ("RSA", "RS256"), ("EC", "ES256") }));
            Assert.That(jwks.Keys.Single(k => k.Kty == "EC").Crv, Is.EqualTo("P-256"));
            Assert.That(rsaResult.IsValid, Is.True, rsaResult.Exception?.Message);
            Assert.That(ecResult.IsValid, Is.True, ecResult.Exception?.Message);
            Assert.That(ring.Current.PublishedKeys.Select(k => k.Algorithm), Is.EquivalentTo(new[] { "RS256", "ES256" }));
        });
    }

    [Test]
    public async Task The_cli_rotates_to_another_algorithm_and_refuses_an_unknown_one()
    {
        var settings = new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = connectionString,
            ["KEY_ENCRYPTION_KEY"] = Convert.ToBase64String(kek),
        };
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.That(await OpsCli.RunAsync(["keys", "rotate", "--algorithm", "ES256"], output, TextWriter.Null, settings),
            Is.EqualTo(OpsCli.Ok));
        Assert.That(await OpsCli.RunAsync(["keys", "rotate", "--algorithm", "HS256"], TextWriter.Null, error, settings),
            Is.EqualTo(OpsCli.Usage));
        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Multiple(async () =>
        {
            Assert.That(output.ToString(), Does.Contain("\"algorithm\": \"ES256\""));
            Assert.That(lines, Has.Length.EqualTo(1));
            Assert.That(lines[0], Does.Contain("--algorithm must be one of RS256, PS256, ES256"));
            Assert.That((await store.ListAsync(default)).Select(k => k.Algorithm), Is.EquivalentTo(new[] { "RS256", "ES256" }),
                "nothing added by the refused one");
        });
    }

    [Test]
    public async Task The_cli_refuses_to_add_a_key_sealed_under_another_kek()
    {
        var settings = new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = connectionString,
            ["KEY_ENCRYPTION_KEY"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        };
        var error = new StringWriter();
        var exitCode = await OpsCli.RunAsync(["keys", "rotate", "--lead-seconds", "0"], TextWriter.Null, error, settings);
        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Multiple(async () =>
        {
            Assert.That(exitCode, Is.EqualTo(OpsCli.Usage));
            Assert.That(lines, Has.Length.EqualTo(1));
            Assert.That(lines[0], Does.Contain("KEY_ENCRYPTION_KEY: it does not open the signing keys already in this database"));
            Assert.That(await store.ListAsync(default), Has.Count.EqualTo(1), "no key nobody could open");
        });
    }

    // A key another KEK sealed (added by hand, or by a `keys rotate` from before it checked) that becomes the signing
    // key while the service runs: the service keeps signing with the key it has and says so in one line per reload,
    // not a stack trace (an outside review saw one per second).
    [Test]
    public async Task A_signing_key_sealed_under_another_kek_keeps_the_last_key_signing_and_logs_one_line()
    {
        var old = ring.Current!.SigningKid;
        using var other = RSA.Create(2048);
        var parameters = other.ExportParameters(false);
        await using (var connection = await db.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("""
                INSERT INTO signing_keys (kid, algorithm, public_modulus, public_exponent, private_key_sealed, created_at, activates_at)
                VALUES ('other-kek-key', 'RS256', @modulus, @exponent, @sealed, @now, @now)
                """, new
            {
                modulus = Base64UrlEncoder.Encode(parameters.Modulus),
                exponent = Base64UrlEncoder.Encode(parameters.Exponent),
                @sealed = new KeyEncryption(RandomNumberGenerator.GetBytes(32)).Seal(other.ExportPkcs8PrivateKey(), "other-kek-key"),
                now = time.GetUtcNow().UtcDateTime.AddSeconds(1),
            });
        }

        var logger = new RecordingLogger();
        using var running = new KeyRingRefresher(store, ring, Options.Create(new TokenServiceOptions()), time,
            new ApplicationLifetime(NullLogger<ApplicationLifetime>.Instance), logger);
        time.Advance(TimeSpan.FromSeconds(2));
        var refused = await Assert.ThrowsAsync<Shared.Hosting.SettingException>(() => running.ReloadAsync(default));
        await running.StartAsync(default);
        // The loop's next reloads: the fake clock moves on until two of them have logged (an advance that comes before
        // the loop waits is lost, so it is repeated).
        var clock = Stopwatch.StartNew();
        while (logger.Lines.Count < 3 && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            time.Advance(TimeSpan.FromSeconds(new TokenServiceOptions().KeyRefreshSeconds));
            await Task.Delay(50);
        }

        await running.StopAsync(default);
        var lines = logger.Lines.ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(refused!.Message, Does.StartWith("KEY_ENCRYPTION_KEY: it does not open the signing keys"));
            Assert.That(ring.Current!.SigningKid, Is.EqualTo(old), "the last snapshot keeps signing");
            Assert.That(lines, Has.Length.AtLeast(3), "the direct reload and two of the periodic loop");
            Assert.That(lines.Select(l => l.Message), Has.All.Contain("other-kek-key").And.All.Contain("KEY_ENCRYPTION_KEY"),
                "one line per reload, naming the key");
            Assert.That(lines.Select(l => l.Exception), Has.All.Null, "no stack trace");
        });
    }

    private sealed class RecordingLogger : ILogger<KeyRingRefresher>
    {
        public ConcurrentQueue<(string Message, Exception? Exception)> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state,
            Exception? exception, Func<TState, Exception?, string> formatter) => Lines.Enqueue((formatter(state, exception), exception));
    }
}
