using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;
using Shared.Database;
using TokenService.Audit;
using TokenService.Revocation;

namespace TokenService.Users;

/// <summary>
/// The SQL for the users table. Usernames are matched case-insensitively (the unique index is on lower()). Deleting a
/// user, changing a password and signing out everywhere revoke every grant of the user in the same transaction
/// (GrantRevocations): refresh tokens and the access tokens issued with them die with the event.
/// </summary>
public sealed class UserStore(NpgsqlDataSource db, IOptions<TokenServiceOptions> options, TimeProvider time)
{
    private readonly TimeSpan accessLifetime = TimeSpan.FromSeconds(options.Value.LongestAccessTokenLifetimeSeconds);

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

    /// <summary>Null when the username is taken (unique violation), so the caller can say so instead of failing. The
    /// audit row is written in the same transaction.</summary>
    public async Task<User?> InsertAsync(User user, AuditEntry audit, CancellationToken ct)
    {
        const string sql = $"""
            INSERT INTO users (id, username, email, email_verified, name, password_hash)
            VALUES (@Id, @Username, @Email, @EmailVerified, @Name, @PasswordHash)
            RETURNING {Columns}
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        try
        {
            var stored = await connection.QuerySingleAsync<User>(new CommandDefinition(sql, user, transaction, cancellationToken: ct));
            await audit.WriteAsync(connection, transaction, ct);
            await transaction.CommitAsync(ct);
            return stored;
        }
        catch (PostgresException e) when (e.SqlState == Postgres.UniqueViolation)
        {
            return null;
        }
    }

    public async Task<IReadOnlyList<User>> ListAsync(CancellationToken ct)
    {
        const string sql = $"SELECT {Columns} FROM users ORDER BY lower(username)";
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<User>(new CommandDefinition(sql, cancellationToken: ct))).AsList();
    }

    public Task<bool> DeleteAsync(string username, AuditEntry audit, CancellationToken ct) =>
        EndGrantsAsync(username, "DELETE FROM users WHERE id = @id", null, audit, ct);

    /// <summary>New hash and a new session version (ends existing sessions and grants); false when no such user.</summary>
    public Task<bool> SetPasswordAsync(string username, string passwordHash, AuditEntry audit, CancellationToken ct) =>
        EndGrantsAsync(username, """
            UPDATE users SET password_hash = @passwordHash, session_version = session_version + 1, updated_at = now() WHERE id = @id
            """, passwordHash, audit, ct);

    /// <summary>Sign-out everywhere: every login session and every grant ends; the password stays.</summary>
    public Task<bool> SignOutEverywhereAsync(string username, AuditEntry audit, CancellationToken ct) => EndGrantsAsync(username,
        "UPDATE users SET session_version = session_version + 1, updated_at = now() WHERE id = @id", null, audit, ct);

    /// <summary>
    /// The user's row is locked first, so a sign-in finishing meanwhile either commits its code before (and its grant
    /// is revoked here) or sees the new session version after.
    /// </summary>
    private async Task<bool> EndGrantsAsync(string username, string change, string? passwordHash, AuditEntry audit, CancellationToken ct)
    {
        const string lockUser = "SELECT id FROM users WHERE lower(username) = lower(@username) FOR UPDATE";
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        if (await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(lockUser, new { username }, transaction,
            cancellationToken: ct))
            is not { } id)
        {
            return false;
        }

        await GrantRevocations.RevokeUserAsync(connection, transaction, id, time.GetUtcNow().UtcDateTime, accessLifetime, ct);
        await connection.ExecuteAsync(new CommandDefinition(change, new { id, passwordHash }, transaction, cancellationToken: ct));
        await audit.WriteAsync(connection, transaction, ct);
        await transaction.CommitAsync(ct);
        return true;
    }

    /// <summary>Stores a hash at today's parameters, only if the password was not changed meanwhile.</summary>
    public async Task RehashAsync(Guid id, int sessionVersion, string passwordHash, CancellationToken ct)
    {
        const string sql = "UPDATE users SET password_hash = @passwordHash WHERE id = @id AND session_version = @sessionVersion";
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(sql, new { id, sessionVersion, passwordHash }, cancellationToken: ct));
    }
}
