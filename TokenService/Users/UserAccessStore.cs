using Dapper;
using Npgsql;
using TokenService.Audit;

namespace TokenService.Users;

/// <summary>What a user may reach: roles and tenant memberships (user_roles, user_tenants; 0013).</summary>
public sealed record UserAccess(string[] Roles, string[] Tenants)
{
    public static readonly UserAccess None = new([], []);
}

/// <summary>Which set a change touches.</summary>
public enum UserAccessKind
{
    Role,
    Tenant,
}

/// <summary>The SQL for user_roles and user_tenants. Both are sets: adding twice changes nothing.</summary>
public sealed class UserAccessStore(NpgsqlDataSource db)
{
    public async Task<UserAccess> GetAsync(Guid userId, CancellationToken ct)
    {
        const string sql = """
            SELECT role FROM user_roles WHERE user_id = @userId ORDER BY role;
            SELECT tenant FROM user_tenants WHERE user_id = @userId ORDER BY tenant;
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(sql, new { userId }, cancellationToken: ct));
        return new UserAccess((await results.ReadAsync<string>()).ToArray(), (await results.ReadAsync<string>()).ToArray());
    }

    /// <summary>Roles and tenants of many users at once (users list).</summary>
    public async Task<Dictionary<Guid, UserAccess>> GetAllAsync(CancellationToken ct)
    {
        const string sql = """
            SELECT user_id, role AS value FROM user_roles ORDER BY role;
            SELECT user_id, tenant AS value FROM user_tenants ORDER BY tenant;
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var results = await connection.QueryMultipleAsync(new CommandDefinition(sql, cancellationToken: ct));
        var roles = (await results.ReadAsync<(Guid UserId, string Value)>()).ToLookup(r => r.UserId, r => r.Value);
        var tenants = (await results.ReadAsync<(Guid UserId, string Value)>()).ToLookup(r => r.UserId, r => r.Value);
        return roles.Select(g => g.Key).Union(tenants.Select(g => g.Key))
            .ToDictionary(id => id, id => new UserAccess(roles[id].ToArray(), tenants[id].ToArray()));
    }

    /// <summary>
    /// Adds (<paramref name="add"/>) or removes one role or tenant. Found: the user exists; Changed: the set changed
    /// (a repeated grant or a missing revoke changes nothing, and is not audited).
    /// </summary>
    /// <summary>
    /// False when there is no such user. A change (not a repeat of one already made) writes its audit row in the same
    /// transaction, naming the user as stored.
    /// </summary>
    public async Task<bool> ChangeAsync(UserAccessKind kind, string username, string value, bool add, AuditEntry audit,
        CancellationToken ct)
    {
        var sql = (kind, add) switch
        {
            (UserAccessKind.Role, true) =>
                "INSERT INTO user_roles (user_id, role) SELECT id, @value FROM users WHERE lower(username) = lower(@username) " +
                              "ON CONFLICT DO NOTHING",
            (UserAccessKind.Role, false) =>
                "DELETE FROM user_roles WHERE role = @value AND user_id = (SELECT id FROM users WHERE lower(username) = lower(@username))",
            (UserAccessKind.Tenant, true) =>
                "INSERT INTO user_tenants (user_id, tenant) SELECT id, @value FROM users WHERE lower(username) = lower(@username) " +
                                "ON CONFLICT DO NOTHING",
            _ => "DELETE FROM user_tenants WHERE tenant = @value AND user_id = (SELECT id FROM users WHERE lower(username) = " +
            "lower(@username))",
        };
        const string stored = "SELECT username FROM users WHERE lower(username) = lower(@username) FOR UPDATE";
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        if (await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(stored, new { username }, transaction,
                cancellationToken: ct)) is not { } name)
        {
            return false;
        }

        if (await connection.ExecuteAsync(new CommandDefinition(sql, new { username, value }, transaction, cancellationToken: ct)) == 1)
        {
            await audit.For(name).WriteAsync(connection, transaction, ct);
        }

        await transaction.CommitAsync(ct);
        return true;
    }
}
