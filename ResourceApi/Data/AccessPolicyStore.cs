using System.Data.Common;
using Dapper;
using Npgsql;
using Shared.Audit;

namespace ResourceApi.Data;

/// <summary>The audit trail's names for Access Policy changes (issue 16 point 4), whoever makes them.</summary>
public static class PolicyAuditActions
{
    public const string Create = "policy.create";
    public const string Modify = "policy.modify";
    public const string Delete = "policy.delete";
    public const string Assign = "policy.assign";
    public const string Unassign = "policy.unassign";
    public const string AccessControl = "data_pool.access_control";
}

/// <summary>
/// The SQL for resource.access_policies and their assignments. Every change regenerates the table's row-level security
/// policies (resource.sync_row_security) and writes its audit row (who: <paramref name="actor"/>, the caller of this
/// request or the CLI's OS user) in the same transaction, so PostgreSQL enforces the new rules from the commit on, on
/// every instance, whatever an instance's catalog cache still holds, and no change commits without its audit row.
/// </summary>
internal sealed class AccessPolicyStore(NpgsqlDataSource db, CatalogCache catalog, Func<AuditActor> actor)
{
    private const string Select = """
        SELECT p.id, p.unique_name, p.description, p.data_pool_id, p.columns, p.rows::text AS rows, p.created_at, p.modified_at,
               ARRAY(SELECT a.client_id FROM resource.access_policy_applications a WHERE a.access_policy_id = p.id
                     ORDER BY a.client_id) AS applications
        FROM resource.access_policies p
        """;

    private const string ListSql =
        $"{Select} WHERE @pool IS NULL OR p.data_pool_id = @pool ORDER BY p.unique_name LIMIT @Limit OFFSET @Offset";

    private const string FindSql = $"{Select} WHERE p.unique_name = @name OR p.id::text = @name";

    private const string ForApplicationSql = $"""
        {Select} JOIN resource.access_policy_applications x ON x.access_policy_id = p.id
        WHERE x.data_pool_id = @pool AND x.client_id = @clientId
        """;

    private const string InsertSql = """
        INSERT INTO resource.access_policies (id, unique_name, description, data_pool_id, columns, rows)
        VALUES (@Id, @UniqueName, @Description, @DataPoolId, @Columns, CAST(@Rows AS jsonb))
        """;

    private const string UpdateSql = """
        UPDATE resource.access_policies SET unique_name = @UniqueName, description = @Description, columns = @Columns,
               rows = CAST(@Rows AS jsonb), modified_at = now()
        WHERE id = @Id
        """;

    private const string DeleteSql = "DELETE FROM resource.access_policies WHERE id = @id";

    private const string AssignSql = """
        INSERT INTO resource.access_policy_applications (access_policy_id, data_pool_id, client_id)
        SELECT @Id, @DataPoolId, unnest(@clients) ON CONFLICT (access_policy_id, client_id) DO NOTHING
        """;

    private const string UnassignSql =
        "DELETE FROM resource.access_policy_applications WHERE access_policy_id = @Id AND client_id = ANY (@clients)";

    private const string AssignedElsewhereSql = """
        SELECT a.client_id FROM resource.access_policy_applications a
        WHERE a.data_pool_id = @DataPoolId AND a.access_policy_id <> @Id AND a.client_id = ANY (@clients) ORDER BY 1 LIMIT 1
        """;

    private const string SetAccessControlSql = "UPDATE resource.data_pools SET access_control_enabled = @enabled WHERE id = @id";

    private const string SyncSql = "SELECT resource.sync_row_security(@table)";

    public async Task<IReadOnlyList<AccessPolicy>> ListAsync(Guid? pool, Page page, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<AccessPolicy>(new CommandDefinition(
            ListSql, new { pool, Limit = page.Limit + 1, page.Offset }, cancellationToken: ct))).AsList();
    }

    /// <summary>By unique name or id.</summary>
    public async Task<AccessPolicy?> FindAsync(string name, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<AccessPolicy>(new CommandDefinition(FindSql, new { name },
            cancellationToken: ct));
    }

    /// <summary>
    /// The policy assigned to the application for the pool; cached with the catalog (cleared by a change on this
    /// instance, at most <see cref="ResourceApiOptions.CatalogCacheMilliseconds"/> stale after another instance's).
    /// </summary>
    public Task<AccessPolicy?> ForApplicationAsync(Guid pool, string clientId, CancellationToken ct) =>
        catalog.GetAsync(("access-policy", pool, clientId), async () =>
        {
            await using var connection = await db.OpenConnectionAsync(ct);
            return await connection.QuerySingleOrDefaultAsync<AccessPolicy>(new CommandDefinition(
                ForApplicationSql, new { pool, clientId }, cancellationToken: ct));
        });

    public Task InsertAsync(AccessPolicy policy, string table, CancellationToken ct) =>
        ChangeAsync(table, (c, t) => c.ExecuteAsync(new CommandDefinition(InsertSql, policy, t, cancellationToken: ct)),
            policy.UniqueName, new(PolicyAuditActions.Create, policy.UniqueName, Facts(policy)), ct);

    public Task UpdateAsync(AccessPolicy policy, string table, CancellationToken ct) =>
        ChangeAsync(table, (c, t) => c.ExecuteAsync(new CommandDefinition(UpdateSql, policy, t, cancellationToken: ct)),
            policy.UniqueName, new(PolicyAuditActions.Modify, policy.UniqueName, Facts(policy)), ct);

    public Task DeleteAsync(AccessPolicy policy, string table, CancellationToken ct) =>
        ChangeAsync(table, (c, t) => c.ExecuteAsync(new CommandDefinition(DeleteSql, new { id = policy.Id }, t, cancellationToken: ct)),
            policy.UniqueName, new(PolicyAuditActions.Delete, policy.UniqueName, new { policy.Id, dataPool = policy.DataPoolId }), ct);

    /// <summary>Assigns; an application that already has another policy for the pool is named in the error.</summary>
    public Task AssignAsync(AccessPolicy policy, IReadOnlyList<string> clients, string table, CancellationToken ct) =>
        ChangeAsync(table, async (c, t) =>
        {
            var args = new { policy.Id, policy.DataPoolId, clients = clients.ToArray() };
            if (await c.ExecuteScalarAsync<string?>(new CommandDefinition(AssignedElsewhereSql, args, t,
                cancellationToken: ct)) is { } taken)
            {
                throw new AccessPolicyInputException(
                    $"applications: application '{taken}' already has another Access Policy for this Data Pool; unassign it first");
            }

            return await c.ExecuteAsync(new CommandDefinition(AssignSql, args, t, cancellationToken: ct));
        }, policy.UniqueName, new(PolicyAuditActions.Assign, policy.UniqueName, new { applications = clients }), ct);

    public Task UnassignAsync(AccessPolicy policy, IReadOnlyList<string> clients, string table, CancellationToken ct) =>
        ChangeAsync(table, (c, t) => c.ExecuteAsync(new CommandDefinition(
                UnassignSql, new { policy.Id, clients = clients.ToArray() }, t, cancellationToken: ct)), policy.UniqueName,
            new(PolicyAuditActions.Unassign, policy.UniqueName, new { applications = clients }), ct);

    public Task SetAccessControlAsync(DataPool pool, bool enabled, CancellationToken ct) =>
        ChangeAsync(pool.TableName, (c, t) => c.ExecuteAsync(new CommandDefinition(
                SetAccessControlSql, new { id = pool.Id, enabled }, t, cancellationToken: ct)), pool.UniqueName,
            new(PolicyAuditActions.AccessControl, pool.UniqueName, new { accessControlEnabled = enabled }), ct);

    /// <summary>Regenerates the table's row security alone (after a Data Pool is created or deleted).</summary>
    public Task SyncAsync(string table, CancellationToken ct) => ChangeAsync(table, (_, _) => Task.FromResult(0), table, null, ct);

    /// <summary>What the audit row says of a policy: its rules, never a token value (only placeholders are stored).</summary>
    private static object Facts(AccessPolicy policy) =>
        new
        {
            policy.Id,
            dataPool = policy.DataPoolId,
            policy.Columns,
            rows = policy.RowList.Select(r => $"{r.Column} {r.Operator} {r.Value}"),
        };

    private sealed record Audited(string Action, string Target, object? Details);

    private async Task ChangeAsync(string table, Func<NpgsqlConnection, DbTransaction, Task<int>> change, string name, Audited? audited,
        CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        try
        {
            await change(connection, transaction);
            await connection.ExecuteAsync(new CommandDefinition(SyncSql, new { table }, transaction, cancellationToken: ct));
            if (audited is not null)
            {
                var targetKind = audited.Action == PolicyAuditActions.AccessControl ? "data_pool" : "access_policy";
                await AuditEventWriter.InsertAsync(connection, transaction, actor(), audited.Action, targetKind, audited.Target,
                    audited.Details, ct);
            }

            await transaction.CommitAsync(ct);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            throw new AccessPolicyInputException(e.ConstraintName == "access_policy_applications_one_per_pool"
                ? "applications: an application already has another Access Policy for this Data Pool; unassign it first"
                : $"uniqueName: an Access Policy named '{name}' already exists");
        }
        finally
        {
            catalog.Clear();
        }
    }
}
