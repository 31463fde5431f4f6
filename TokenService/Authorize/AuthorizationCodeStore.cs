using Dapper;
using Npgsql;
using TokenService.Crypto;

namespace TokenService.Authorize;

/// <summary>An authorization code as stored: everything it is bound to, keyed by the SHA-256 of the code.</summary>
public sealed record AuthorizationCode
{
    public required Guid Id { get; init; }
    public required string ClientId { get; init; }
    public required Guid UserId { get; init; }
    public required string RedirectUri { get; init; }
    public string? CodeChallenge { get; init; }
    public required string[] Scopes { get; init; }
    public string? Nonce { get; init; }
    public required DateTime AuthTime { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime ExpiresAt { get; init; }
    public DateTime? ConsumedAt { get; init; }

    /// <summary>Set when the code is redeemed: the grant id of every token issued from it (and its refresh family's id).</summary>
    public Guid? GrantId { get; init; }

    /// <summary>The tenant chosen at sign-in (one of the user's, allowed by the application), or none.</summary>
    public string? Tenant { get; init; }

    /// <summary>RFC 8707: the resource named in the authorization request, if any.</summary>
    public string? Resource { get; init; }
}

/// <summary>What a redemption found: the code (first use), a replay of a used code, or nothing.</summary>
public enum Redemption
{
    Redeemed,
    Replayed,
    Unknown,
}

/// <summary>The SQL for authorization_codes: issue, redeem exactly once, link the tokens issued from a code.</summary>
public sealed class AuthorizationCodeStore(NpgsqlDataSource db, TimeProvider time)
{
    /// <summary>RFC 6749 s.4.1.2 recommends at most 10 minutes; a code is redeemed within seconds, so 60 s is ample.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    private const string Columns =
        "id, client_id, user_id, redirect_uri, code_challenge, scopes, nonce, auth_time, created_at, expires_at, consumed_at, grant_id, " +
        "tenant, resource";

    /// <summary>Stores the code's hash and bindings; returns the code itself, which exists only in the redirect.</summary>
    public async Task<string> IssueAsync(AuthorizationCode code, CancellationToken ct)
    {
        const string sql = """
            INSERT INTO authorization_codes
                (id, code_hash, client_id, user_id, redirect_uri, code_challenge, scopes, nonce, auth_time, created_at, expires_at, tenant,
            """ + """
             resource)
            VALUES (@Id, @CodeHash, @ClientId, @UserId, @RedirectUri, @CodeChallenge, @Scopes, @Nonce, @AuthTime, @CreatedAt, @ExpiresAt, @Tenant,
                    @Resource)
            """;
        var value = OpaqueToken.New();
        var now = time.GetUtcNow();
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(sql, new
        {
            code.Id,
            CodeHash = OpaqueToken.Hash(value),
            code.ClientId,
            code.UserId,
            code.RedirectUri,
            code.CodeChallenge,
            code.Scopes,
            code.Nonce,
            code.AuthTime,
            CreatedAt = now.UtcDateTime,
            ExpiresAt = (now + Lifetime).UtcDateTime,
            code.Tenant,
            code.Resource,
        }, cancellationToken: ct));
        return value;
    }

    /// <summary>
    /// Marks the code used and returns it, atomically: of any number of concurrent redemptions exactly one gets the
    /// row. Expiry is checked by the caller against the same clock that set it. A code seen before is a replay. The
    /// grant id is fixed in the same statement, so a replay that comes a moment later always knows what to revoke.
    /// </summary>
    public async Task<(Redemption Outcome, AuthorizationCode? Code)> RedeemAsync(string code, CancellationToken ct)
    {
        const string redeem = $"""
            UPDATE authorization_codes SET consumed_at = @now, grant_id = @grantId
            WHERE code_hash = @hash AND consumed_at IS NULL
            RETURNING {Columns}
            """;
        const string find = $"SELECT {Columns} FROM authorization_codes WHERE code_hash = @hash";
        var hash = OpaqueToken.Hash(code);
        await using var connection = await db.OpenConnectionAsync(ct);
        var redeemed = await connection.QuerySingleOrDefaultAsync<AuthorizationCode>(new CommandDefinition(redeem,
            new { hash, now = time.GetUtcNow().UtcDateTime, grantId = Guid.CreateVersion7(time.GetUtcNow()) }, cancellationToken: ct));
        if (redeemed is not null)
        {
            return (Redemption.Redeemed, redeemed);
        }

        var used = await connection.QuerySingleOrDefaultAsync<AuthorizationCode>(new CommandDefinition(find, new { hash },
            cancellationToken: ct));
        return used is null ? (Redemption.Unknown, null) : (Redemption.Replayed, used);
    }
}
