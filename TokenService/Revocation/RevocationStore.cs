using Dapper;
using Npgsql;

namespace TokenService.Revocation;

/// <summary>One row of the revocations table (0009_revocations.sql).</summary>
public sealed record RevocationEntry
{
    public const string KindJti = "jti";
    public const string KindClient = "client";

    /// <summary>Every access token carrying this grant_id (ClaimNames.GrantId): the grant died whole.</summary>
    public const string KindGrant = "grant";

    public long Id { get; init; }
    public required string Kind { get; init; }
    /// <summary>The jti, the grant id, or the client id for a client entry.</summary>
    public required string Value { get; init; }
    public required string ClientId { get; init; }
    /// <summary>Client entries: tokens issued before this are dead.</summary>
    public DateTime? NotBefore { get; init; }
    public DateTime EffectiveAt { get; init; }
    /// <summary>When every token the entry covers has expired: the row can go.</summary>
    public DateTime ExpiresAt { get; init; }
}

/// <summary>The SQL for the revocations table.</summary>
public sealed class RevocationStore(NpgsqlDataSource db)
{
    private const string Columns = "id, kind, value, client_id, not_before, effective_at, expires_at";

    /// <summary>Entries outlive the tokens they cover by this much: resource servers accept a little clock skew past exp.</summary>
    public static readonly TimeSpan ClockSkewMargin = TimeSpan.FromMinutes(5);

    /// <summary>Records that one access token is revoked; revoking it again changes nothing (as for a grant).</summary>
    public async Task RevokeAccessTokenAsync(string jti, string clientId, DateTime expiresAt, DateTime now, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await InsertAsync(connection, transaction, new RevocationEntry
        {
            Kind = RevocationEntry.KindJti, Value = jti, ClientId = clientId, EffectiveAt = now, ExpiresAt = expiresAt,
        }, now, ct);
        await transaction.CommitAsync(ct);
    }

    /// <summary>
    /// Inserts inside the caller's transaction (so a deletion or rotation and its entry commit together). The advisory
    /// lock is held until commit: ids are taken and committed in one order, so a feed reader that has seen id n has
    /// seen every id below n. Expired rows are pruned on the way: revocations are rare, the table stays small.
    /// </summary>
    public static async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RevocationEntry entry, DateTime now,
        CancellationToken ct)
    {
        const string sql = """
            SELECT pg_advisory_xact_lock(hashtextextended('revocations', 0));
            DELETE FROM revocations WHERE expires_at < @now;
            INSERT INTO revocations (kind, value, client_id, not_before, effective_at, expires_at)
            VALUES (@Kind, @Value, @ClientId, @NotBefore, @EffectiveAt, @ExpiresAt)
            ON CONFLICT DO NOTHING;
            """;
        await connection.ExecuteAsync(new CommandDefinition(sql, new
        {
            entry.Kind,
            entry.Value,
            entry.ClientId,
            entry.NotBefore,
            entry.EffectiveAt,
            entry.ExpiresAt,
            now,
        }, transaction, cancellationToken: ct));
    }

    /// <summary>Live entries after <paramref name="since"/>, in cursor order.</summary>
    public async Task<IReadOnlyList<RevocationEntry>> ListSinceAsync(long since, DateTime now, CancellationToken ct)
    {
        const string sql = $"SELECT {Columns} FROM revocations WHERE id > @since AND expires_at >= @now ORDER BY id";
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<RevocationEntry>(new CommandDefinition(sql, new { since, now }, cancellationToken: ct))).AsList();
    }
}
