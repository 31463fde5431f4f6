using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using TokenService.Crypto;
using TokenService.Revocation;

namespace TokenService.RefreshTokens;

/// <summary>
/// The SQL for refresh_token_families and refresh_tokens. Tokens are opaque and stored as SHA-256 only. Rotation
/// consumes the presented token with one conditional UPDATE, so of concurrent uses exactly one wins; the losers
/// find it consumed, which is reuse, and revoke the family (RFC 9700 s.4.14.2).
/// </summary>
public sealed class RefreshTokenStore(NpgsqlDataSource db, IOptions<TokenServiceOptions> options, TimeProvider time)
{
    private readonly TimeSpan idle = TimeSpan.FromSeconds(options.Value.RefreshTokenIdleLifetimeSeconds);
    private readonly TimeSpan absolute = TimeSpan.FromSeconds(options.Value.RefreshTokenAbsoluteLifetimeSeconds);
    private readonly TimeSpan accessLifetime = TimeSpan.FromSeconds(options.Value.LongestAccessTokenLifetimeSeconds);

    /// <summary>
    /// Starts a family with its first token; its id is the grant id of the code's access token. The code row is
    /// locked first: a replay of the code either happened before (the family starts revoked) or waits until this
    /// commits (and then revokes it), never in between.
    /// </summary>
    public async Task<string> StartFamilyAsync(Guid familyId, string clientId, Guid userId, Guid? codeId, string[] scopes,
        DateTime authTime,
        string? tenant, string? resource, string? dpopJkt, CancellationToken ct)
    {
        const string lockCode = "SELECT replayed_at IS NOT NULL FROM authorization_codes WHERE id = @codeId FOR UPDATE";
        const string insertFamily = """
            INSERT INTO refresh_token_families (id, client_id, user_id, code_id, scopes, auth_time, created_at, expires_at, revoked_at, tenant, resource,
                dpop_jkt)
            VALUES (@familyId, @clientId, @userId, @codeId, @scopes, @authTime, @now, @expiresAt, CASE WHEN @replayed THEN @now END, @tenant, @resource,
                @dpopJkt)
            """;
        var now = time.GetUtcNow().UtcDateTime;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var replayed = codeId is not null && await connection.ExecuteScalarAsync<bool>(new CommandDefinition(lockCode, new { codeId },
            transaction, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(insertFamily, new
        {
            familyId,
            clientId,
            userId,
            codeId,
            scopes,
            authTime,
            now,
            expiresAt = now + absolute,
            replayed,
            tenant,
            resource,
            dpopJkt,
        }, transaction, cancellationToken: ct));
        var token = await InsertTokenAsync(connection, transaction, familyId, now, now + absolute, ct);
        await transaction.CommitAsync(ct);
        return token;
    }

    /// <summary>
    /// Consumes the presented token and issues its successor, or says why not. <paramref name="accept"/> sees the
    /// family inside the transaction, before the successor exists: what the application and the user may still have
    /// is checked there (de-provisioning), and a refusal leaves everything as it was.
    /// </summary>
    public async Task<(RefreshOutcome Outcome, RefreshTokenFamily? Family, string? Token)> RotateAsync(
        string token, string clientId, Func<RefreshTokenFamily, CancellationToken, Task<bool>> accept, CancellationToken ct)
    {
        const string consume = """
            UPDATE refresh_tokens t SET consumed_at = @now
            FROM refresh_token_families f
            WHERE t.family_id = f.id AND t.token_hash = @hash AND t.consumed_at IS NULL AND f.client_id = @clientId
            RETURNING t.expires_at AS token_expires_at, f.id, f.client_id, f.user_id, f.code_id, f.scopes, f.auth_time, f.created_at,
                      f.expires_at, f.revoked_at, f.tenant, f.resource, f.dpop_jkt
            """;
        const string findUsed = """
            SELECT t.family_id FROM refresh_tokens t JOIN refresh_token_families f ON f.id = t.family_id
            WHERE t.token_hash = @hash AND f.client_id = @clientId AND t.consumed_at IS NOT NULL
            """;
        const string revokeFamily = "UPDATE refresh_token_families SET revoked_at = @now WHERE id = @familyId AND revoked_at IS NULL";

        var hash = OpaqueToken.Hash(token);
        var now = time.GetUtcNow().UtcDateTime;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<ConsumedRow>(new CommandDefinition(consume, new { hash, now, clientId },
            transaction, cancellationToken: ct));
        if (row is null)
        {
            var familyId = await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(findUsed, new { hash, clientId },
                transaction, cancellationToken: ct));
            if (familyId is { } reused)
            {
                // RFC 9700 s.4.14.2: the family and every access token it minted, the thief's included.
                await connection.ExecuteAsync(new CommandDefinition(revokeFamily, new { familyId, now }, transaction,
                    cancellationToken: ct));
                await GrantRevocations.RevokeAsync(connection, transaction, reused, clientId, now, accessLifetime, ct);
            }

            await transaction.CommitAsync(ct);
            return (familyId is null ? RefreshOutcome.Invalid : RefreshOutcome.Reused, null, null);
        }

        var family = row.ToFamily();
        if (family.RevokedAt is not null || family.ExpiresAt <= now || row.TokenExpiresAt <= now)
        {
            await transaction.CommitAsync(ct);
            return (RefreshOutcome.Invalid, family, null);
        }

        if (!await accept(family, ct))
        {
            // Nothing changes: the client keeps its token and learns why (scope too wide, access withdrawn).
            await transaction.RollbackAsync(ct);
            return (RefreshOutcome.Refused, family, null);
        }

        var successor = await InsertTokenAsync(connection, transaction, family.Id, now, family.ExpiresAt, ct);
        await transaction.CommitAsync(ct);
        return (RefreshOutcome.Rotated, family, successor);
    }

    /// <summary>
    /// RFC 6749 s.4.1.2: a code used twice revokes what it produced: the grant (its access tokens, issued or still
    /// being issued) and the family. The mark on the code makes a family that is still being created from it start
    /// revoked (see <see cref="StartFamilyAsync"/>).
    /// </summary>
    public async Task RevokeFromCodeAsync(Guid codeId, Guid? grantId, string clientId, CancellationToken ct)
    {
        const string markCode = "UPDATE authorization_codes SET replayed_at = coalesce(replayed_at, @now) WHERE id = @codeId";
        const string revoke = "UPDATE refresh_token_families SET revoked_at = @now WHERE code_id = @codeId AND revoked_at IS NULL";
        var now = time.GetUtcNow().UtcDateTime;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(markCode, new { codeId, now }, transaction, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(revoke, new { codeId, now }, transaction, cancellationToken: ct));
        if (grantId is { } grant)
        {
            await GrantRevocations.RevokeAsync(connection, transaction, grant, clientId, now, accessLifetime, ct);
        }

        await transaction.CommitAsync(ct);
    }

    /// <summary>Each token lives for the idle lifetime, never past the family's absolute expiry.</summary>
    private async Task<string> InsertTokenAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid familyId, DateTime now, DateTime familyExpiresAt,
        CancellationToken ct)
    {
        const string sql = """
            INSERT INTO refresh_tokens (id, token_hash, family_id, created_at, expires_at)
            VALUES (@id, @hash, @familyId, @now, @expiresAt)
            """;
        var token = OpaqueToken.New();
        var expiresAt = now + idle < familyExpiresAt ? now + idle : familyExpiresAt;
        await connection.ExecuteAsync(new CommandDefinition(sql, new
        {
            id = Guid.CreateVersion7(time.GetUtcNow()),
            hash = OpaqueToken.Hash(token),
            familyId,
            now,
            expiresAt,
        }, transaction, cancellationToken: ct));
        return token;
    }

    private sealed record ConsumedRow
    {
        public DateTime TokenExpiresAt { get; init; }
        public Guid Id { get; init; }
        public string ClientId { get; init; } = "";
        public Guid UserId { get; init; }
        public Guid? CodeId { get; init; }
        public string[] Scopes { get; init; } = [];
        public DateTime AuthTime { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime ExpiresAt { get; init; }
        public DateTime? RevokedAt { get; init; }
        public string? Tenant { get; init; }
        public string? Resource { get; init; }
        public string? DpopJkt { get; init; }

        public RefreshTokenFamily ToFamily() => new()
        {
            Id = Id, ClientId = ClientId, UserId = UserId, CodeId = CodeId, Scopes = Scopes, AuthTime = AuthTime, CreatedAt = CreatedAt,
            ExpiresAt = ExpiresAt, RevokedAt = RevokedAt, Tenant = Tenant, Resource = Resource,
            DPoPJkt = DpopJkt,
        };
    }
}
