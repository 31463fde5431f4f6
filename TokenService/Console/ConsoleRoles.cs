using Dapper;
using Npgsql;
using TokenService.Users;

namespace TokenService.WebConsole;

/// <summary>
/// Console roles (table user_roles, migration 0013): console-admin may change everything the Console shows,
/// console-viewer only looks. Anyone else who signs in gets a 403 page.
/// </summary>
public static class ConsoleRoles
{
    public const string Admin = "console-admin";
    public const string Viewer = "console-viewer";
}

/// <summary>The operator of this request: the user, and whether they may change things.</summary>
public sealed record ConsoleOperator(User User, IReadOnlyList<string> Roles, string AntiforgeryField)
{
    public bool IsAdmin => Roles.Contains(ConsoleRoles.Admin);

    public bool CanView => IsAdmin || Roles.Contains(ConsoleRoles.Viewer);
}

/// <summary>The one query the Console needs beyond UserStore and UserAccessStore: users with their roles and tenants, searched.</summary>
public sealed class ConsoleUserStore(NpgsqlDataSource db)
{
    /// <summary>A class, not a positional record: Dapper matches snake_case columns to properties, not to constructor parameters.</summary>
    public sealed class UserRow
    {
        public Guid Id { get; init; }
        public string Username { get; init; } = "";
        public string Email { get; init; } = "";
        public string Name { get; init; } = "";
        public DateTime CreatedAt { get; init; }
        public string[] Roles { get; init; } = [];
        public string[] Tenants { get; init; } = [];
    }

    public async Task<IReadOnlyList<UserRow>> ListAsync(string? search, CancellationToken ct)
    {
        const string sql = """
            SELECT u.id, u.username, u.email, u.name, u.created_at,
                   coalesce((SELECT array_agg(r.role ORDER BY r.role) FROM user_roles r WHERE r.user_id = u.id), '{}') AS roles,
                   coalesce((SELECT array_agg(t.tenant ORDER BY t.tenant) FROM user_tenants t WHERE t.user_id = u.id), '{}') AS tenants
            FROM users u
            WHERE @search::text IS NULL OR strpos(lower(u.username), lower(@search::text)) > 0 OR strpos(lower(u.email),
            """ + """
             lower(@search::text)) > 0
            ORDER BY lower(u.username)
            LIMIT 500
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<UserRow>(new CommandDefinition(sql, new { search }, cancellationToken: ct))).AsList();
    }
}
