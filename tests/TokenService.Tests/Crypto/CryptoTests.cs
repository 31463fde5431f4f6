using System.Diagnostics;
using Shared;
using TokenService.Crypto;

namespace TokenService.Tests.Crypto;

/// <summary>Argon2id PHC hashing, secret generation and RFC 6749 s.2.3.1 Basic decoding.</summary>
public sealed class CryptoTests
{
    private static readonly Argon2idHasher Hasher = new(new Argon2Parameters(), 2);

    [Test]
    public void Hash_is_an_argon2id_phc_string_at_owasp_minimum()
    {
        var phc = Hasher.Hash("s3cret");
        Assert.That(phc, Does.Match(@"^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$"));
    }

    [Test]
    public void Verify_accepts_the_secret_and_rejects_anything_else()
    {
        var phc = Hasher.Hash("s3cret");
        Assert.Multiple(() =>
        {
            Assert.That(Hasher.Verify("s3cret", phc), Is.EqualTo(VerifyResult.Success));
            Assert.That(Hasher.Verify("s3creT", phc), Is.EqualTo(VerifyResult.Failed));
            Assert.That(Hasher.Verify("", phc), Is.EqualTo(VerifyResult.Failed));
            Assert.That(Hasher.Verify("s3cret", null), Is.EqualTo(VerifyResult.Failed));
            Assert.That(Hasher.Verify("s3cret", "$argon2id$v=19$m=1,t=1,p=1$bad"), Is.EqualTo(VerifyResult.Failed));
        });
    }

    [Test]
    public void A_hash_with_older_parameters_verifies_and_asks_for_a_rehash()
    {
        var stronger = new Argon2idHasher(new Argon2Parameters(MemoryKiB: 19456, Iterations: 3), 1);
        var phc = Hasher.Hash("s3cret");
        Assert.That(stronger.Verify("s3cret", phc), Is.EqualTo(VerifyResult.SuccessRehashNeeded));
    }

    [Test]
    [Category("Timing")]
    public void Unknown_id_costs_the_same_as_a_wrong_secret()
    {
        var phc = Hasher.Hash("s3cret");
        Hasher.Verify("warm-up", null);
        var wrong = new List<double>();
        var unknown = new List<double>();
        // Alternate which goes first: the second of a pair tends to pay for the garbage collection of the first's
        // 19 MiB block, which made a fixed order look like a difference between the two paths.
        for (var i = 0; i < 16; i++)
        {
            foreach (var known in i % 2 == 0 ? new[] { true, false } : [false, true])
            {
                var sw = Stopwatch.StartNew();
                Hasher.Verify("wrong", known ? phc : null);
                (known ? wrong : unknown).Add(sw.Elapsed.TotalMilliseconds);
            }
        }

        // The fastest of interleaved runs is the figure least disturbed by other work on a shared machine.
        var ratio = unknown.Min() / wrong.Min();
        TestContext.Out.WriteLine($"fastest wrong secret {wrong.Min():F1} ms, unknown id {unknown.Min():F1} ms, ratio {ratio:F2}; " +
                                  $"medians {Median(wrong):F1} / {Median(unknown):F1} ms");
        // The defects this guards against: an unknown id skipping the hash (ratio near 0.01), hashing half the cost
        // (0.5) or hashing twice (2.0). The band is symmetric around 1 on a log scale and keeps a third of the way
        // to either defect free for the noise of other test processes on the same cores: the fastest of 16
        // interleaved runs moves far less than that.
        Assert.That(ratio, Is.InRange(1 / 1.5, 1.5));
    }

    [Test]
    public void Secrets_are_256_bit_url_safe_and_prefixed_for_scanners()
    {
        var secrets = Enumerable.Range(0, 100).Select(_ => SecretGenerator.NewSecret()).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(secrets, Is.Unique);
            Assert.That(secrets, Is.All.Match("^tss_[A-Za-z0-9_-]{43}$"), "4-char prefix + 43 base64url chars = 256 bits");
        });
    }

    [Test]
    public void Client_ids_are_128_bit_lowercase_base32() =>
        Assert.That(SecretGenerator.NewClientId(), Does.Match("^[a-z2-7]{26}$"));

    [TestCase("id", "secret")]
    [TestCase("a b", "p:a%s+s")]
    [TestCase("ünï", "çødé")]
    public void Basic_credentials_round_trip_with_form_encoding(string id, string secret)
    {
        var header = new BasicCredentials(id, secret).ToHeader().ToString();
        Assert.Multiple(() =>
        {
            Assert.That(BasicCredentials.TryParse(header, out var parsed), Is.True);
            Assert.That(parsed, Is.EqualTo(new BasicCredentials(id, secret)));
        });
    }

    [TestCase(null)]
    [TestCase("Basic")]
    [TestCase("Basic ")]
    [TestCase("Basic ====")]
    [TestCase("Bearer eyJ")]
    [TestCase("Basic bm9jb2xvbg==")]
    [TestCase("Basic OnNlY3JldA==")]
    [TestCase("Basic JVpaOnNlY3JldA==")]
    [TestCase("Basic //79/A==")]
    public void Malformed_basic_headers_are_no_credentials(string? header) =>
        Assert.That(BasicCredentials.TryParse(header, out _), Is.False);

    [Test]
    public void An_oversized_basic_header_is_refused_before_decoding() =>
        Assert.That(BasicCredentials.TryParse("Basic " + new string('A', 10_000), out _), Is.False);

    [Test] // Issue 11 point 7: "no such id" must cost what a stored hash costs, even one made with other parameters.
    public void The_dummy_hash_for_unknown_ids_uses_the_parameters_of_the_stored_hashes()
    {
        var older = new Argon2Parameters(19456, 3, 1);
        var stored = new Argon2idHasher(older, 1).Hash("a stored secret");
        var hasher = new Argon2idHasher(new Argon2Parameters(), 1);
        Assert.That(hasher.DummyParameters, Is.EqualTo(new Argon2Parameters()), "before any stored hash was seen: the configured ones");
        _ = hasher.Verify("a wrong secret", stored);
        Assert.That(hasher.Verify("x", null), Is.EqualTo(VerifyResult.Failed));
        Assert.That(hasher.DummyParameters, Is.EqualTo(older));
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
