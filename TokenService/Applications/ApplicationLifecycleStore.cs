using Dapper;
using Npgsql;
using Shared.Database;
using TokenService.Audit;
using TokenService.Revocation;

namespace TokenService.Applications;

/// <summary>
/// The SQL for changing an application after creation: update, rotation with a grace period, deletion. A rotation
/// or deletion writes its revocation entry in the same transaction, so the feed never misses one.
/// </summary>
public sealed class ApplicationLifecycleStore(NpgsqlDataSource db)
{
    public enum UpdateOutcome { Updated, NotFound, NameTaken }

    /// <summary>
    /// Writes every updatable field of <paramref name="a"/> (the caller merged and validated them). A narrowing change
    /// brings <paramref name="revocation"/> (the tokens issued before it carry more than the application now may), written
    /// in the same transaction.
    /// </summary>
    public async Task<(UpdateOutcome Outcome, Application? Updated)> UpdateAsync(Application a, AuditEntry audit, CancellationToken ct,
        RevocationEntry? revocation = null, DateTime now = default)
    {
        const string sql = $"""
            UPDATE applications SET name = @Name, description = @Description, scopes = @Scopes, redirect_uris = @RedirectUris,
                grant_types = @GrantTypes, allowed_tenants = @AllowedTenants, access_token_lifetime_seconds = @AccessTokenLifetimeSeconds,
                jwks = @Jwks::jsonb, jwks_uri = @JwksUri, allowed_policy_values = @AllowedPolicyValues::jsonb, require_dpop = @RequireDpop,
                audiences = @Audiences, updated_at = now()
            WHERE client_id = @ClientId
            RETURNING {ApplicationStore.Columns}
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        try
        {
            var updated = await connection.QuerySingleOrDefaultAsync<Application>(new CommandDefinition(sql, a, transaction,
                cancellationToken: ct));
            if (updated is not null && revocation is not null)
            {
                await RevocationStore.InsertAsync(connection, transaction, revocation, now, ct);
            }

            if (updated is not null)
            {
                await audit.WriteAsync(connection, transaction, ct);
            }

            await transaction.CommitAsync(ct);
            return updated is null ? (UpdateOutcome.NotFound, null) : (UpdateOutcome.Updated, updated);
        }
        catch (PostgresException e) when (e.SqlState == Postgres.UniqueViolation)
        {
            return (UpdateOutcome.NameTaken, null);
        }
    }

    /// <summary>
    /// Replaces the secret. With <paramref name="previousSecretExpiresAt"/> the old hash keeps working until then;
    /// without, it is dropped at once. <paramref name="revocation"/> (tokens issued before now die when the old secret
    /// does) is recorded in the same transaction. Null when no such confidential application.
    /// </summary>
    public async Task<Application?> RotateSecretAsync(string clientId, string secretHash, DateTime? previousSecretExpiresAt,
        Func<string, RevocationEntry> revocation, DateTime now, AuditEntry audit, CancellationToken ct)
    {
        const string sql = $"""
            UPDATE applications SET
                previous_secret_hash = CASE WHEN @previousSecretExpiresAt::timestamptz IS NULL THEN NULL ELSE secret_hash END,
                previous_secret_expires_at = @previousSecretExpiresAt::timestamptz,
                secret_hash = @secretHash, secret_version = secret_version + 1, updated_at = now()
            WHERE client_id = @clientId AND secret_hash IS NOT NULL
            RETURNING {ApplicationStore.Columns}
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var updated = await connection.QuerySingleOrDefaultAsync<Application>(new CommandDefinition(sql,
            new { clientId, secretHash, previousSecretExpiresAt }, transaction, cancellationToken: ct));
        if (updated is not null)
        {
            await RevocationStore.InsertAsync(connection, transaction, revocation(clientId), now, ct);
            await audit.WriteAsync(connection, transaction, ct);
        }

        await transaction.CommitAsync(ct);
        return updated;
    }

    /// <summary>Deletes the application and records that every token it was issued is dead; false when none.</summary>
    public async Task<bool> DeleteAsync(string clientId, RevocationEntry revocation, DateTime now, AuditEntry audit, CancellationToken ct)
    {
        const string sql = "DELETE FROM applications WHERE client_id = @clientId";
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var deleted = await connection.ExecuteAsync(new CommandDefinition(sql, new { clientId }, transaction, cancellationToken: ct)) == 1;
        if (deleted)
        {
            await RevocationStore.InsertAsync(connection, transaction, revocation, now, ct);
            await audit.WriteAsync(connection, transaction, ct);
        }

        await transaction.CommitAsync(ct);
        return deleted;
    }
}
