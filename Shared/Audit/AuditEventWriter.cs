using System.Data.Common;
using System.Text.Json;
using Dapper;

namespace Shared.Audit;

/// <summary>
/// The one INSERT into audit_events (TokenService migration 0026), on the caller's connection and, when given, inside the
/// caller's transaction, so that a change and its audit row commit together or not at all. Details are non-secret facts
/// (names, scopes, times) as a JSON object; long values are clipped.
/// </summary>
public static class AuditEventWriter
{
    private const string InsertSql = """
        INSERT INTO audit_events (actor_kind, actor, address, action, target_kind, target, details)
        VALUES (@Kind, @Id, @Address, @action, @targetKind, @target, @details::jsonb)
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static Task InsertAsync(DbConnection connection, DbTransaction? transaction, AuditActor actor, string action,
        string targetKind, string target, object? details, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(InsertSql, new
        {
            actor.Kind,
            Id = Clip(actor.Id),
            Address = Clip(actor.Address),
            action,
            targetKind,
            target = Clip(target),
            details = JsonSerializer.Serialize(details ?? new { }, Json),
        }, transaction, cancellationToken: ct));

    private static string Clip(string value) => value.Length <= 200 ? value : value[..200];
}
