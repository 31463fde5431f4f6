using Dapper;
using Npgsql;

namespace Shared.Database;

/// <summary>
/// Applies a set of migration files in version order. The whole run holds a session advisory lock, so two
/// concurrent runs serialise and the second finds nothing to do; each file runs in its own transaction together
/// with its history row, so a file that fails half-way leaves the schema as it was.
/// </summary>
public sealed class Migrator(NpgsqlDataSource dataSource, MigrationSet set)
{
    public sealed record Applied(int Version, string Name, string Checksum, DateTime AppliedAt);

    public sealed record Status(MigrationFile File, Applied? AppliedAs)
    {
        public bool IsPending => AppliedAs is null;
    }

    /// <summary>Applies pending files; returns the ones applied by this run.</summary>
    public async Task<IReadOnlyList<MigrationFile>> MigrateAsync(CancellationToken ct = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await LockAsync(connection, ct);
        try
        {
            await EnsureHistoryTableAsync(connection, ct);
            var statuses = await StatusAsync(connection, ct);
            var applied = new List<MigrationFile>();
            foreach (var status in statuses.Where(s => s.IsPending))
            {
                await ApplyAsync(connection, status.File, ct);
                applied.Add(status.File);
            }

            return applied;
        }
        finally
        {
            await UnlockAsync(connection);
        }
    }

    /// <summary>Every known file with its history row, if any; throws when history and files disagree.</summary>
    public async Task<IReadOnlyList<Status>> StatusAsync(CancellationToken ct = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT to_regclass(@table) IS NOT NULL", new { table = set.HistoryTable }, cancellationToken: ct));
        if (!exists)
        {
            return set.Files.Select(f => new Status(f, null)).ToList();
        }

        return await StatusAsync(connection, ct);
    }

    private async Task<IReadOnlyList<Status>> StatusAsync(NpgsqlConnection connection, CancellationToken ct)
    {
        var applied = (await connection.QueryAsync<Applied>(new CommandDefinition(
            $"SELECT version, name, checksum, applied_at FROM {set.HistoryTable} ORDER BY version", cancellationToken: ct)))
            .ToDictionary(a => a.Version);

        foreach (var (version, row) in applied)
        {
            var file = set.Files.FirstOrDefault(f => f.Version == version);
            if (file is null)
            {
                throw new MigrationException(
                    $"{set.HistoryTable} records version {version:D4} ({row.Name}) but no such file exists; restore the file or the matching release");
            }

            if (file.Checksum != row.Checksum)
            {
                throw new MigrationException(
                    $"{file.Name} was edited after it was applied (checksum {row.Checksum[..12]} recorded, {file.Checksum[..12]} now); " +
                    "revert the edit and put the change in a new migration file");
            }
        }

        return set.Files.Select(f => new Status(f, applied.GetValueOrDefault(f.Version))).ToList();
    }

    private async Task ApplyAsync(NpgsqlConnection connection, MigrationFile file, CancellationToken ct)
    {
        await using var transaction = await connection.BeginTransactionAsync(ct);
        try
        {
            await using (var command = new NpgsqlCommand(file.Sql, connection, transaction))
            {
                command.CommandTimeout = 0;
                await command.ExecuteNonQueryAsync(ct);
            }

            await connection.ExecuteAsync(new CommandDefinition(
                $"INSERT INTO {set.HistoryTable} (version, name, checksum) VALUES (@Version, @Name, @Checksum)",
                file, transaction, cancellationToken: ct));
            await transaction.CommitAsync(ct);
        }
        catch (PostgresException e)
        {
            await transaction.RollbackAsync(CancellationToken.None);
            throw new MigrationException($"{file.Name} failed and was rolled back: {e.SqlState} {e.MessageText}", e);
        }
    }

    private Task EnsureHistoryTableAsync(NpgsqlConnection connection, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition($"""
            CREATE TABLE IF NOT EXISTS {set.HistoryTable} (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                checksum   text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """, cancellationToken: ct));

    // One lock key per history table, so the TokenService's and the ResourceApi's sets don't wait on each other.
    private Task LockAsync(NpgsqlConnection connection, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_lock(hashtextextended(@key, 0))",
            new { key = set.HistoryTable }, cancellationToken: ct));

    private async Task UnlockAsync(NpgsqlConnection connection)
    {
        if (connection.State == System.Data.ConnectionState.Open)
        {
            await connection.ExecuteAsync("SELECT pg_advisory_unlock(hashtextextended(@key, 0))", new { key = set.HistoryTable });
        }
    }
}
