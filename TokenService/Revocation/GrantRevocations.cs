using Dapper;
using Npgsql;

namespace TokenService.Revocation;

/// <summary>
/// A grant dies whole (RFC 9700 s.4.14.2, RFC 7009 s.2.1, RFC 6749 s.4.1.2): its refresh family is revoked and one
/// revocation row of kind 'grant' covers every access token that carries its grant_id. Tokens are not listed one by
/// one, so there is no window: an access token minted by a rotation that read the family a moment before it was
/// revoked carries the same grant_id and is refused too. The row lives until every such token has expired (the
/// access token lifetime plus the resource servers' clock skew, counted from now: no token of the grant can be
/// minted later than the commit of its revocation). Runs inside the caller's transaction.
/// </summary>
public static class GrantRevocations
{
    public static async Task RevokeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid grantId, string clientId,
        DateTime now,
        TimeSpan accessTokenLifetime, CancellationToken ct)
    {
        await RevocationStore.InsertAsync(connection, transaction, new RevocationEntry
        {
            Kind = RevocationEntry.KindGrant, Value = grantId.ToString(), ClientId = clientId, EffectiveAt = now,
            ExpiresAt = now + accessTokenLifetime + RevocationStore.ClockSkewMargin,
        }, now, ct);
    }

    /// <summary>
    /// Every grant of one user (deletion, password change, sign-out everywhere): each refresh family, and each code
    /// redeemed recently enough that its access tokens may still be alive. Codes not yet redeemed are burnt, and
    /// every code is marked as if replayed, so a family still being started from one starts revoked
    /// (RefreshTokenStore.StartFamilyAsync locks the code row, so it runs wholly before or after this).
    /// </summary>
    public static async Task<int> RevokeUserAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid userId, DateTime now,
        TimeSpan accessTokenLifetime, CancellationToken ct)
    {
        const string codes = """
            UPDATE authorization_codes SET consumed_at = coalesce(consumed_at, @now), replayed_at = coalesce(replayed_at, @now)
            WHERE user_id = @userId AND (consumed_at IS NULL OR consumed_at > @oldest)
            RETURNING grant_id, client_id
            """;
        const string families = """
            UPDATE refresh_token_families SET revoked_at = coalesce(revoked_at, @now)
            WHERE user_id = @userId AND expires_at > @oldest
            RETURNING id AS grant_id, client_id
            """;
        var args = new { userId, now, oldest = now - accessTokenLifetime };
        var grants = (await connection.QueryAsync<(Guid? GrantId, string ClientId)>(new CommandDefinition(codes, args, transaction,
            cancellationToken: ct)))
            .Concat(await connection.QueryAsync<(Guid? GrantId, string ClientId)>(new CommandDefinition(families, args, transaction,
                cancellationToken: ct)))
            .Where(g => g.GrantId is not null).Distinct().ToList();
        foreach (var (grantId, clientId) in grants)
        {
            await RevokeAsync(connection, transaction, grantId!.Value, clientId, now, accessTokenLifetime, ct);
        }

        return grants.Count;
    }
}
