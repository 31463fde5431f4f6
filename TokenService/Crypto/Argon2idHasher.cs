using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Konscious.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace TokenService.Crypto;

/// <summary>Argon2id cost parameters. Defaults are OWASP's minimum: m = 19 MiB, t = 2, p = 1.</summary>
public sealed record Argon2Parameters(int MemoryKiB = 19456, int Iterations = 2, int Parallelism = 1)
{
    public const int MinMemoryKiB = 19456;
    public const int MinIterations = 2;
}

/// <summary>
/// Hashes and verifies client secrets and user passwords as Argon2id PHC strings
/// (<c>$argon2id$v=19$m=19456,t=2,p=1$salt$hash</c>, unpadded standard base64).
/// Konscious allocates the whole m-KiB block on the managed heap per hash, so concurrent hashes are capped at
/// the number of cores: memory stays near m × cores however many wrong secrets arrive at once.
/// </summary>
public sealed class Argon2idHasher
{
    private const int SaltBytes = 16;
    private const int HashBytes = 32;
    private readonly Argon2Parameters parameters;
    private readonly SemaphoreSlim slots;
    private readonly Lazy<string> dummyHash;
    private volatile Argon2Parameters storedParameters;
    private readonly Observability.TokenServiceMetrics? metrics;

    /// <summary>The service's hasher; <paramref name="metrics"/> is absent in the ops CLI.</summary>
    public Argon2idHasher(IOptions<TokenServiceOptions> options, Observability.TokenServiceMetrics? metrics = null)
        : this(options.Value.Argon2, Environment.ProcessorCount)
    {
        this.metrics = metrics;
    }

    public Argon2idHasher(Argon2Parameters parameters, int maxConcurrency)
    {
        this.parameters = parameters;
        slots = new SemaphoreSlim(Math.Max(1, maxConcurrency));
        dummyHash = new Lazy<string>(() => Hash("timing-equaliser-" + Guid.NewGuid()));
        storedParameters = parameters;
    }

    /// <summary>
    /// What an unknown id's dummy verification costs: the parameters of the stored hash verified last, not the
    /// configured ones. Hashes made before a parameter change (or by a CLI with other settings) would otherwise cost
    /// a different time than "no such id", and the difference would tell which ids exist.
    /// </summary>
    public Argon2Parameters DummyParameters => storedParameters;

    public Argon2Parameters Parameters => parameters;

    /// <summary>Verifications waiting for or holding a slot now (for metrics and tests).</summary>
    public int InFlight => Volatile.Read(ref inFlight);

    private int inFlight;
    private long verifications;

    /// <summary>Verifications since start (metrics, and tests proving the warm path skips Argon2id).</summary>
    public long Verifications => Interlocked.Read(ref verifications);

    public string Hash(string secret)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Compute(secret, salt, parameters, HashBytes);
        return string.Create(CultureInfo.InvariantCulture,
            $"$argon2id$v=19$m={parameters.MemoryKiB},t={parameters.Iterations},p={parameters.Parallelism}$" +
            $"{Convert.ToBase64String(salt).TrimEnd('=')}${Convert.ToBase64String(hash).TrimEnd('=')}");
    }

    /// <summary>Hashes under the concurrency cap.</summary>
    public async Task<string> HashAsync(string secret, CancellationToken ct = default)
    {
        await slots.WaitAsync(ct);
        try
        {
            return await OffThePool(() => Hash(secret), ct);
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>
    /// Verifies in constant time. A null hash (unknown client or user) is checked against a dummy hash with the
    /// same parameters, so "no such id" costs what "wrong secret" costs.
    /// </summary>
    public async Task<VerifyResult> VerifyAsync(string secret, string? phc, CancellationToken ct = default)
    {
        await slots.WaitAsync(ct);
        Interlocked.Increment(ref inFlight);
        try
        {
            // Timed from the slot, not the queue: the histogram shows what one hash costs at today's parameters.
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var result = await OffThePool(() => Verify(secret, phc), ct);
            metrics?.Argon2Verified(System.Diagnostics.Stopwatch.GetElapsedTime(started), result != VerifyResult.Failed);
            return result;
        }
        finally
        {
            Interlocked.Decrement(ref inFlight);
            slots.Release();
        }
    }

    /// <summary>
    /// A hash holds a core for tens of milliseconds. On a thread-pool thread a burst of them starves the pool on a
    /// small machine (every warm request waits for the pool to grow); on a thread of its own it only shares the CPU.
    /// </summary>
    private static Task<T> OffThePool<T>(Func<T> work, CancellationToken ct) =>
        Task.Factory.StartNew(work, ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    public VerifyResult Verify(string secret, string? phc)
    {
        Interlocked.Increment(ref verifications);
        // An empty secret never matches (none is ever issued) but still costs one hash, like any wrong one.
        if (phc is null || secret.Length == 0 || !PhcString.TryParse(phc, out var stored))
        {
            _ = PhcString.TryParse(dummyHash.Value, out var dummy);
            var candidate = secret.Length == 0 ? "empty" : secret;
            _ = CryptographicOperations.FixedTimeEquals(Compute(candidate, dummy.Salt, storedParameters, dummy.Hash.Length), dummy.Hash);
            return VerifyResult.Failed;
        }

        storedParameters = stored.Parameters;
        var actual = Compute(secret, stored.Salt, stored.Parameters, stored.Hash.Length);
        if (!CryptographicOperations.FixedTimeEquals(actual, stored.Hash))
        {
            return VerifyResult.Failed;
        }

        return stored.Parameters == parameters ? VerifyResult.Success : VerifyResult.SuccessRehashNeeded;
    }

    private static byte[] Compute(string secret, byte[] salt, Argon2Parameters p, int length)
    {
        using var argon2 = new Argon2id(Encoding.UTF8.GetBytes(secret))
        {
            Salt = salt,
            MemorySize = p.MemoryKiB,
            Iterations = p.Iterations,
            DegreeOfParallelism = p.Parallelism,
        };
        return argon2.GetBytes(length);
    }
}

public enum VerifyResult
{
    Failed,
    Success,

    /// <summary>Correct, but hashed with other parameters than the configured ones: store a fresh hash.</summary>
    SuccessRehashNeeded,
}
