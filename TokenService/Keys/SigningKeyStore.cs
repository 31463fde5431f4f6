using System.Security.Cryptography;
using Dapper;
using Npgsql;
using TokenService.Audit;
using TokenService.Crypto;

namespace TokenService.Keys;

/// <summary>The SQL for signing_keys, and sealing/opening the private half under the KEK.</summary>
public sealed class SigningKeyStore(NpgsqlDataSource db, KeyEncryption kek, TimeProvider time)
{
    private const string Columns = "kid, algorithm, public_modulus, public_exponent, private_key_sealed, created_at, activates_at, retired_at";

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
    public async Task EnsureOneExistsAsync(int keySize, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(hashtextextended('signing_keys', 0))",
            transaction: transaction, cancellationToken: ct));
        var count = await connection.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM signing_keys",
            transaction: transaction, cancellationToken: ct));
        if (count == 0)
        {
            await InsertAsync(connection, transaction, NewKey(keySize, time.GetUtcNow()), ct);
        }

        await transaction.CommitAsync(ct);
    }

    /// <summary>
    /// Adds a key that is published at once and starts signing after <paramref name="lead"/>; with <paramref name="audit"/>,
    /// its audit row (the new key id as the target) commits with it.
    /// </summary>
    public async Task<SigningKey> AddAsync(int keySize, TimeSpan lead, CancellationToken ct, AuditEntry? audit = null)
    {
        var key = NewKey(keySize, time.GetUtcNow() + lead);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await InsertAsync(connection, transaction, key, ct);
        if (audit is not null)
        {
            await audit.For(key.Kid).WriteAsync(connection, transaction, ct);
        }

        await transaction.CommitAsync(ct);
        return key;
    }

    /// <summary>Opens the private half. Throws <see cref="CryptographicException"/> if the KEK does not match.</summary>
    public RSA OpenPrivateKey(SigningKey key)
    {
        var pkcs8 = kek.Open(key.PrivateKeySealed, key.Kid);
        try
        {
            var rsa = RSA.Create();
            rsa.ImportPkcs8PrivateKey(pkcs8, out _);
            return rsa;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    private SigningKey NewKey(int keySize, DateTimeOffset activatesAt)
    {
        using var rsa = RSA.Create(keySize);
        var parameters = rsa.ExportParameters(false);
        var kid = SecretGenerator.Base64Url(SHA256.HashData(parameters.Modulus!))[..16];
        var pkcs8 = rsa.ExportPkcs8PrivateKey();
        try
        {
            return new SigningKey
            {
                Kid = kid,
                PublicModulus = SecretGenerator.Base64Url(parameters.Modulus!),
                PublicExponent = SecretGenerator.Base64Url(parameters.Exponent!),
                PrivateKeySealed = kek.Seal(pkcs8, kid),
                CreatedAt = time.GetUtcNow().UtcDateTime,
                ActivatesAt = activatesAt.UtcDateTime,
            };
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    private static Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, SigningKey key, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO signing_keys (kid, algorithm, public_modulus, public_exponent, private_key_sealed, created_at, activates_at)
            VALUES (@Kid, @Algorithm, @PublicModulus, @PublicExponent, @PrivateKeySealed, @CreatedAt, @ActivatesAt)
            """, key, transaction, cancellationToken: ct));
}
