using System.Security.Cryptography;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using Shared.Hosting;
using Shared.Protocol;
using TokenService.Audit;
using TokenService.Crypto;

namespace TokenService.Keys;

/// <summary>The SQL for signing_keys, and sealing/opening the private half under the KEK.</summary>
public sealed class SigningKeyStore(NpgsqlDataSource db, KeyEncryption kek, IOptions<TokenServiceOptions> options, TimeProvider time)
{
    private const string Columns =
        "kid, algorithm, public_modulus, public_exponent, public_x, public_y, private_key_sealed, created_at, activates_at, retired_at";

    public async Task<IReadOnlyList<SigningKey>> ListAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<SigningKey>(new CommandDefinition(
            $"SELECT {Columns} FROM signing_keys ORDER BY activates_at DESC, created_at DESC", cancellationToken: ct))).AsList();
    }

    /// <summary>
    /// Creates the first key when there is none. The advisory lock makes several instances starting at once on an
    /// empty database agree on one key instead of each making its own.
    /// </summary>
    public async Task EnsureOneExistsAsync(CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(hashtextextended('signing_keys', 0))",
            transaction: transaction, cancellationToken: ct));
        var count = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM signing_keys",
            transaction: transaction, cancellationToken: ct));
        if (count == 0)
        {
            await InsertAsync(connection, transaction, NewKey(options.Value.SigningAlgorithm, time.GetUtcNow()), ct);
        }

        await transaction.CommitAsync(ct);
    }

    /// <summary>
    /// Adds a key that is published at once and starts signing after <paramref name="lead"/>; with <paramref name="audit"/>,
    /// its audit row (the new key id as the target) commits with it. <paramref name="algorithm"/>: the configured
    /// SigningAlgorithm unless given (a rotation from RS256 to ES256 is one such key).
    /// </summary>
    public async Task<SigningKey> AddAsync(TimeSpan lead, CancellationToken ct, AuditEntry? audit = null, string? algorithm = null)
    {
        var key = NewKey(algorithm ?? options.Value.SigningAlgorithm, time.GetUtcNow() + lead);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await EnsureSameKekAsync(connection, transaction, ct);
        await InsertAsync(connection, transaction, key, ct);
        if (audit is not null)
        {
            await audit.For(key.Kid).WriteAsync(connection, transaction, ct);
        }

        await transaction.CommitAsync(ct);
        return key;
    }

    /// <summary>
    /// A key sealed under another KEY_ENCRYPTION_KEY than the services' could never be opened: once it became the
    /// signing key, every instance would stop issuing (seen from the outside: `keys rotate` with a mistyped key said
    /// exit 0). So the newest key already here must open with this one first.
    /// </summary>
    private async Task EnsureSameKekAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken ct)
    {
        var newest = await connection.QueryFirstOrDefaultAsync<(string Kid, byte[] Sealed)?>(new CommandDefinition(
            "SELECT kid, private_key_sealed FROM signing_keys ORDER BY created_at DESC LIMIT 1", transaction: transaction, cancellationToken: ct));
        if (newest is { } existing)
        {
            CryptographicOperations.ZeroMemory(OpenPrivateKey(existing.Sealed, existing.Kid));
        }
    }

    /// <summary>Opens the private half. Throws <see cref="SettingException"/> naming KEY_ENCRYPTION_KEY if it does not open it.</summary>
    public TokenSigner OpenSigner(SigningKey key)
    {
        var pkcs8 = OpenPrivateKey(key.PrivateKeySealed, key.Kid);
        AsymmetricAlgorithm opened = SigningAlgorithms.IsRsa(key.Algorithm) ? RSA.Create() : ECDsa.Create();
        try
        {
            opened.ImportPkcs8PrivateKey(pkcs8, out _);
            return TokenSigner.Create(key.Kid, key.Algorithm, opened);
        }
        catch
        {
            opened.Dispose();
            throw;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    /// <summary>
    /// The one place a KEK that does not open a key becomes the operator's line: `keys rotate` and the service's start
    /// both refuse with it (exit 2, issue 13). GCM cannot tell a wrong key from an altered blob; the KEK is what an
    /// operator gets wrong, so that is what it names. Never the value: it is the secret.
    /// </summary>
    private byte[] OpenPrivateKey(byte[] sealedKey, string kid)
    {
        try
        {
            return kek.Open(sealedKey, kid);
        }
        catch (CryptographicException e)
        {
            throw new SettingException("KEY_ENCRYPTION_KEY",
                "it does not open the signing keys already in this database; expected the value every instance of this deployment uses", e);
        }
    }

    private SigningKey NewKey(string algorithm, DateTimeOffset activatesAt)
    {
        using AsymmetricAlgorithm key = SigningAlgorithms.IsRsa(algorithm)
            ? RSA.Create(options.Value.RsaKeySize)
            : ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var row = key switch
        {
            RSA rsa when rsa.ExportParameters(false) is var p => new SigningKey
            {
                Kid = KidOf(p.Modulus!),
                PublicModulus = SecretGenerator.Base64Url(p.Modulus!),
                PublicExponent = SecretGenerator.Base64Url(p.Exponent!),
                PrivateKeySealed = [],
            },
            ECDsa ec when ec.ExportParameters(false) is var p => new SigningKey
            {
                Kid = KidOf([.. p.Q.X!, .. p.Q.Y!]),
                PublicX = SecretGenerator.Base64Url(p.Q.X!),
                PublicY = SecretGenerator.Base64Url(p.Q.Y!),
                PrivateKeySealed = [],
            },
            _ => throw new InvalidOperationException(),
        };
        var pkcs8 = key.ExportPkcs8PrivateKey();
        try
        {
            return row with
            {
                Algorithm = algorithm,
                PrivateKeySealed = kek.Seal(pkcs8, row.Kid),
                CreatedAt = time.GetUtcNow().UtcDateTime,
                ActivatesAt = activatesAt.UtcDateTime,
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    // 16 characters of the public key's hash: stable, and says nothing a JWKS reader does not already see.
    private static string KidOf(byte[] publicKey) => SecretGenerator.Base64Url(SHA256.HashData(publicKey))[..16];

    private static Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, SigningKey key, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO signing_keys (kid, algorithm, public_modulus, public_exponent, public_x, public_y, private_key_sealed,
                                      created_at, activates_at)
            VALUES (@Kid, @Algorithm, @PublicModulus, @PublicExponent, @PublicX, @PublicY, @PrivateKeySealed, @CreatedAt, @ActivatesAt)
            """, key, transaction, cancellationToken: ct));
}
