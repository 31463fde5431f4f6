using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace TokenService.WebConsole;

/// <summary>
/// Console sessions ended by sign-out, in PostgreSQL (console_ended_sessions, migration 0033) so every instance
/// refuses them: a copy of the cookie taken before sign-out is dead everywhere, while the user's other sessions and
/// OAuth grants go on (that would be the session version: sign out everywhere). A row is kept until the cookie would
/// have died anyway at its absolute limit; each sign-out prunes the rows past theirs.
/// </summary>
public sealed class EndedConsoleSessions(NpgsqlDataSource db, IOptions<ConsoleOptions> options, TimeProvider time)
{
    public async Task EndAsync(ConsoleSession session, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var expires = session.SignedInAt + TimeSpan.FromSeconds(options.Value.AbsoluteTimeoutSeconds);
        await using var connection = await db.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM console_ended_sessions WHERE expires_at < @now",
            new { now = now.UtcDateTime }, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO console_ended_sessions (session_id, expires_at) VALUES (@id, @expires)
            ON CONFLICT (session_id) DO NOTHING
            """, new { id = session.Id, expires = expires.UtcDateTime }, cancellationToken: ct));
    }

    /// <summary>One primary-key lookup per Console request (Console traffic is a few operators).</summary>
    public async Task<bool> IsEndedAsync(Guid sessionId, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM console_ended_sessions WHERE session_id = @sessionId)", new { sessionId },
            cancellationToken: ct));
    }
}
