using System.Text.Json;
using Dapper;
using Npgsql;
using Shared.Audit;

namespace TokenService.Audit;

/// <summary>
/// The SQL for audit_events besides the insert (<see cref="AuditEventWriter"/>, in each change's transaction): filtered
/// read, and the retention prune (the only deletion the table allows).</summary>
public sealed class AuditStore(NpgsqlDataSource db)
{
    public const int MaxListLimit = 1000;

    private const string Columns = "id, occurred_at, actor_kind, actor, address, action, target_kind, target, details::text AS details";

    /// <summary>Newest first. <paramref name="target"/> matches the target exactly; <paramref name="action"/> is a prefix
    /// ("application.").</summary>
    public async Task<IReadOnlyList<AuditEvent>> ListAsync(DateTimeOffset? since, string? target, string? action, int limit,
        CancellationToken ct)
    {
        const string sql = $"""
            SELECT {Columns} FROM audit_events
            WHERE (@since::timestamptz IS NULL OR occurred_at >= @since::timestamptz)
              AND (@target::text IS NULL OR target = @target::text)
              AND (@action::text IS NULL OR starts_with(action, @action::text))
            ORDER BY id DESC
            LIMIT @limit
            """;
        await using var connection = await db.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(sql,
            new { since = since?.UtcDateTime, target, action, limit = Math.Clamp(limit, 1, MaxListLimit) }, cancellationToken: ct));
        return rows.Select(r => r.ToEvent()).ToList();
    }

    /// <summary>Deletes events older than <paramref name="cutoff"/>; the trigger lets only this transaction's flagged deletes
    /// through.</summary>
    public async Task<int> PruneAsync(DateTimeOffset cutoff, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("SELECT set_config('tokenservice.audit_prune', 'on', true)",
            transaction: transaction,
            cancellationToken: ct));
        var deleted = await connection.ExecuteAsync(new CommandDefinition("DELETE FROM audit_events WHERE occurred_at < @cutoff",
            new { cutoff = cutoff.UtcDateTime }, transaction, cancellationToken: ct));
        await transaction.CommitAsync(ct);
        return deleted;
    }

    /// <summary>The row as Dapper reads it (details as text: Npgsql gives jsonb as a string).</summary>
    private sealed class Row
    {
        public long Id { get; init; }
        public DateTime OccurredAt { get; init; }
        public string ActorKind { get; init; } = "";
        public string Actor { get; init; } = "";
        public string Address { get; init; } = "";
        public string Action { get; init; } = "";
        public string TargetKind { get; init; } = "";
        public string Target { get; init; } = "";
        public string Details { get; init; } = "{}";

        public AuditEvent ToEvent() => new()
        {
            Id = Id,
            OccurredAt = DateTime.SpecifyKind(OccurredAt, DateTimeKind.Utc),
            ActorKind = ActorKind,
            Actor = Actor,
            Address = Address,
            Action = Action,
            TargetKind = TargetKind,
            Target = Target,
            Details = JsonDocument.Parse(Details).RootElement.Clone(),
        };
    }
}
