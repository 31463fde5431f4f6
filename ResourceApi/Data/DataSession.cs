using System.Data.Common;
using Dapper;
using Npgsql;
using Shared.Protocol;

namespace ResourceApi.Data;

/// <summary>
/// Every data query runs here (issue 15 point 4): in a transaction that switches to <see cref="ReaderRole"/> (no
/// BYPASSRLS, not a superuser, not the tables' owner) and sets the caller's pool, policy, application, tenant and
/// policy values for the row-level security policies of db/resource/0005_row_security.sql. Both settings are local to
/// the transaction, so a pooled connection never carries one caller's identity into the next caller's query. The
/// generated SQL filters the same rows; PostgreSQL enforcing them too means a mistake in the query builder cannot leak.
/// </summary>
internal static class DataSession
{
    public const string ReaderRole = "resource_reader";

    private const string SettingsSql = """
        SELECT set_config('role', @role, true), set_config('resource.data_pool', @pool, true),
               set_config('resource.access_policy', @policy, true), set_config('resource.client_id', @client, true),
               set_config('resource.tenant', @tenant, true), set_config('resource.policy_values', @values, true),
               set_config('statement_timeout', coalesce(nullif(@timeout, ''), current_setting('statement_timeout')), true)
        """;

    public static async Task<T> RunAsync<T>(DataSessionSource db, PoolAccess access, Func<NpgsqlConnection, DbTransaction, Task<T>> query,
        CancellationToken ct)
    {
        await using var connection = await db.DataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        await ApplyAsync(connection, transaction, access, ct, db.StatementTimeoutMilliseconds);
        try
        {
            var result = await query(connection, transaction);
            await transaction.CommitAsync(ct);
            return result;
        }
        catch (PostgresException e) when (access.Policy is not null && e.SqlState.StartsWith("22", StringComparison.Ordinal))
        {
            // A token value that is not of the column's type (a letter for an integer column): the token's mistake.
            throw new ResourceRequestException($"a policy_values value of the access token is not valid for the column its Access Policy " +
                $"'{access.Policy.UniqueName}' compares it with");
        }
    }

    /// <summary>
    /// The session settings the row-level security policies read (also what the RLS tests set, bypassing the builder).
    /// The statement timeout is set here too, not only at connection start (DataSetup): behind pgbouncer in transaction mode
    /// the startup parameter cannot reach the server, and these are the queries that can scan for long.
    /// </summary>
    public static Task ApplyAsync(NpgsqlConnection connection, DbTransaction transaction, PoolAccess access, CancellationToken ct,
        int statementTimeoutMilliseconds = 0) =>
        connection.ExecuteAsync(new CommandDefinition(SettingsSql, new
        {
            role = ReaderRole,
            pool = access.Pool.Id.ToString(),
            policy = access.Policy?.Id.ToString() ?? "",
            client = access.Caller.ClientId,
            tenant = access.Caller.Tenant ?? "",
            values = PolicyValues.ToJson(access.Caller.Values),
            // None given keeps the session's value (the RLS tests' connections).
            timeout = statementTimeoutMilliseconds > 0
                ? statementTimeoutMilliseconds.ToString(System.Globalization.CultureInfo.InvariantCulture) : "",
        }, transaction, cancellationToken: ct));
}

/// <summary>The data source of the data queries with the statement timeout each of their transactions sets.</summary>
internal sealed record DataSessionSource(NpgsqlDataSource DataSource, int StatementTimeoutMilliseconds);
