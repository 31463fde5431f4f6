using Dapper;
using Npgsql;

namespace TokenService.Token;

/// <summary>
/// RFC 7523 s.3 item 7: the jti of every accepted client assertion, kept in PostgreSQL until the assertion's exp, so
/// a replay is refused on every instance. The primary key (client_id, jti) makes the first use win; a row whose exp
/// has passed may be taken over (such an assertion is refused for its exp before it gets here anyway). DPoP proofs'
/// jtis (RFC 9449 s.11.1) live here too, keyed by DPoPProofCheck.ReplayPrefix and the key's thumbprint instead of a
/// client id, so the two never collide.
/// </summary>
public sealed class ClientAssertionReplayStore(NpgsqlDataSource db)
{
    /// <summary>Every this many uses, expired rows are deleted on the way (no timer needed).</summary>
    private const int PruneEvery = 256;

    private int uses;

    /// <summary>True when this is the first use of <paramref name="jti"/> for the client; false: a replay.</summary>
    public async Task<bool> TryUseAsync(string clientId, string jti, DateTime expiresAt, DateTime now, CancellationToken ct)
    {
        const string sql = """
            INSERT INTO client_assertion_jtis (client_id, jti, expires_at) VALUES (@clientId, @jti, @expiresAt)
            ON CONFLICT (client_id, jti) DO UPDATE SET expires_at = EXCLUDED.expires_at
                WHERE client_assertion_jtis.expires_at < @now
            """;
        const string prune = "DELETE FROM client_assertion_jtis WHERE expires_at < @now";
        await using var connection = await db.OpenConnectionAsync(ct);
        if (Interlocked.Increment(ref uses) % PruneEvery == 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(prune, new { now }, cancellationToken: ct));
        }

        return await connection.ExecuteAsync(new CommandDefinition(sql, new { clientId, jti, expiresAt, now }, cancellationToken: ct)) == 1;
    }
}
