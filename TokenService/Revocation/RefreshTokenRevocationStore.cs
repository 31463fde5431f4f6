using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using TokenService.Crypto;

namespace TokenService.Revocation;

/// <summary>What introspection may say about a refresh token (RFC 7662 s.2.2).</summary>
/// <remarks>
/// Init properties, not a positional record: Dapper matches a constructor by exact column types, and Npgsql reports
/// a text[] column as Array, so the positional form threw on every refresh token introspection (a 500).
/// </remarks>
public sealed record RefreshTokenFacts
{
    public string ClientId { get; init; } = "";
    public Guid UserId { get; init; }
    public string[] Scopes { get; init; } = [];
    public DateTime CreatedAt { get; init; }
    public DateTime ExpiresAt { get; init; }
    public bool Active { get; init; }
}

/// <summary>
/// Revocation and introspection of refresh tokens (tables of RefreshTokens/, 0006_refresh_tokens.sql): looked up by
/// SHA-256 like everywhere else, and only for the client they were issued to.
/// </summary>
public sealed class RefreshTokenRevocationStore(NpgsqlDataSource db, IOptions<TokenServiceOptions> options)
{
    /// <summary>
    /// RFC 7009 s.2.1: revoking a refresh token revokes its whole family (every successor), and the server SHOULD also
    /// invalidate access tokens of the same grant: one grant revocation covers all of them (GrantRevocations). False
    /// when the token is unknown or another client's.
    /// </summary>
    public async Task<bool> RevokeAsync(string token, string clientId, DateTime now, CancellationToken ct)
    {
        const string revokeFamily = """
            UPDATE refresh_token_families f SET revoked_at = coalesce(f.revoked_at, @now)
            FROM refresh_tokens t
            WHERE t.family_id = f.id AND t.token_hash = @hash AND f.client_id = @clientId
            RETURNING f.id
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var familyId = await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(revokeFamily,
            new { hash = OpaqueToken.Hash(token), clientId, now }, transaction, cancellationToken: ct));
        if (familyId is { } grantId)
        {
            await GrantRevocations.RevokeAsync(connection, transaction, grantId, clientId, now,
                TimeSpan.FromSeconds(options.Value.LongestAccessTokenLifetimeSeconds), ct);
        }

        await transaction.CommitAsync(ct);
        return familyId is not null;
    }

    /// <summary>The token's facts, or null when it is unknown or not <paramref name="clientId"/>'s.</summary>
    public async Task<RefreshTokenFacts?> FindAsync(string token, string clientId, DateTime now, CancellationToken ct)
    {
        const string sql = """
            SELECT f.client_id, f.user_id, f.scopes, t.created_at, least(t.expires_at, f.expires_at) AS expires_at,
                   (f.revoked_at IS NULL AND t.consumed_at IS NULL AND t.expires_at > @now AND f.expires_at > @now) AS active
            FROM refresh_tokens t JOIN refresh_token_families f ON f.id = t.family_id
            WHERE t.token_hash = @hash AND f.client_id = @clientId
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<RefreshTokenFacts>(new CommandDefinition(sql,
            new { hash = OpaqueToken.Hash(token), clientId, now }, cancellationToken: ct));
    }
}
