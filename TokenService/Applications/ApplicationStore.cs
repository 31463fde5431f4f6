using Dapper;
using Npgsql;
using Shared.Database;
using TokenService.Audit;

namespace TokenService.Applications;

/// <summary>The SQL for the applications table.</summary>
public sealed class ApplicationStore(NpgsqlDataSource db)
{
    internal const string Columns =
        "id, client_id, name, description, scopes, secret_hash, secret_version, created_at, updated_at, client_type, redirect_uris, grant_types, " +
        "previous_secret_hash, previous_secret_expires_at, allowed_tenants, access_token_lifetime_seconds, token_endpoint_auth_method, " +
        "jwks::text AS jwks, jwks_uri, allowed_policy_values::text AS allowed_policy_values, require_dpop, audiences";

    public async Task<Application?> FindByClientIdAsync(string clientId, CancellationToken ct)
    {
        const string sql = $"SELECT {Columns} FROM applications WHERE client_id = @clientId";
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<Application>(new CommandDefinition(sql, new { clientId }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<Application>> ListAsync(CancellationToken ct)
    {
        const string sql = $"SELECT {Columns} FROM applications ORDER BY lower(name)";
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<Application>(new CommandDefinition(sql, cancellationToken: ct))).AsList();
    }

    /// <summary>Null when the name is taken (unique violation), so the caller can say so instead of failing. The audit
    /// row is written in the same transaction.</summary>
    public async Task<Application?> InsertAsync(Application a, AuditEntry audit, CancellationToken ct)
    {
        const string sql = $"""
            INSERT INTO applications (id, client_id, name, description, scopes, secret_hash, client_type, redirect_uris, grant_types,
                allowed_tenants, access_token_lifetime_seconds, token_endpoint_auth_method, jwks, jwks_uri, allowed_policy_values, require_dpop,
                audiences)
            VALUES (@Id, @ClientId, @Name, @Description, @Scopes, @SecretHash, @ClientType, @RedirectUris, @GrantTypes, @AllowedTenants,
                @AccessTokenLifetimeSeconds, @TokenEndpointAuthMethod, @Jwks::jsonb, @JwksUri, @AllowedPolicyValues::jsonb, @RequireDpop,
                @Audiences)
            RETURNING {Columns}
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        try
        {
            var stored = await connection.QuerySingleAsync<Application>(new CommandDefinition(sql, a, transaction, cancellationToken: ct));
            await audit.WriteAsync(connection, transaction, ct);
            await transaction.CommitAsync(ct);
            return stored;
        }
        catch (PostgresException e) when (e.SqlState == Postgres.UniqueViolation)
        {
            return null;
        }
    }

    /// <summary>Stores a fresh hash of the same secret (new parameters) only if the secret was not rotated meanwhile.</summary>
    public async Task RehashAsync(string clientId, int secretVersion, string secretHash, CancellationToken ct)
    {
        const string sql = """
            UPDATE applications SET secret_hash = @secretHash
            WHERE client_id = @clientId AND secret_version = @secretVersion
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(sql, new { clientId, secretVersion, secretHash }, cancellationToken: ct));
    }
}
