using Dapper;
using Npgsql;
using Shared.Database;

namespace TokenService.Users;

/// <summary>The SQL for the users table. Usernames are matched case-insensitively (the unique index is on lower()).</summary>
public sealed class UserStore(NpgsqlDataSource db)
{
    private const string Columns = "id, username, email, email_verified, name, password_hash, session_version, created_at, updated_at";

    public async Task<User?> FindByUsernameAsync(string username, CancellationToken ct)
    {
        const string sql = $"SELECT {Columns} FROM users WHERE lower(username) = lower(@username)";
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<User>(new CommandDefinition(sql, new { username }, cancellationToken: ct));
    }

    public async Task<User?> FindByIdAsync(Guid id, CancellationToken ct)
    {
        const string sql = $"SELECT {Columns} FROM users WHERE id = @id";
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<User>(new CommandDefinition(sql, new { id }, cancellationToken: ct));
    }

    /// <summary>Null when the username is taken (unique violation), so the caller can say so instead of failing.</summary>
    public async Task<User?> InsertAsync(User user, CancellationToken ct)
    {
        const string sql = $"""
            INSERT INTO users (id, username, email, email_verified, name, password_hash)
            VALUES (@Id, @Username, @Email, @EmailVerified, @Name, @PasswordHash)
            RETURNING {Columns}
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        try
        {
            return await connection.QuerySingleAsync<User>(new CommandDefinition(sql, user, cancellationToken: ct));
        }
        catch (PostgresException e) when (e.SqlState == Postgres.UniqueViolation)
        {
            return null;
        }
    }

    public async Task<bool> DeleteAsync(string username, CancellationToken ct)
    {
        const string sql = "DELETE FROM users WHERE lower(username) = lower(@username)";
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(sql, new { username }, cancellationToken: ct)) == 1;
    }

    /// <summary>New hash and a new session version (ends existing sessions); false when no such user.</summary>
    public async Task<bool> SetPasswordAsync(string username, string passwordHash, CancellationToken ct)
    {
        const string sql = """
            UPDATE users SET password_hash = @passwordHash, session_version = session_version + 1, updated_at = now()
            WHERE lower(username) = lower(@username)
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(sql, new { username, passwordHash }, cancellationToken: ct)) == 1;
    }

    /// <summary>Stores a hash at today's parameters, only if the password was not changed meanwhile.</summary>
    public async Task RehashAsync(Guid id, int sessionVersion, string passwordHash, CancellationToken ct)
    {
        const string sql = "UPDATE users SET password_hash = @passwordHash WHERE id = @id AND session_version = @sessionVersion";
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(sql, new { id, sessionVersion, passwordHash }, cancellationToken: ct));
    }
}
