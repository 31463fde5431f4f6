using Microsoft.Extensions.Options;
using Npgsql;
using Shared.Audit;

namespace ResourceApi.Data;

/// <summary>An Access Policy as the ops CLI prints it.</summary>
public sealed record AccessPolicyView(
    Guid Id, string UniqueName, string Description, string DataPool, string[] Columns, IReadOnlyList<AccessPolicyRowView> Rows,
    string[] Applications, DateTime CreatedAt, DateTime ModifiedAt);

public sealed record AccessPolicyRowView(string Column, string Operator, string Value)
{
    /// <summary>The operators a row rule may use (those of Metric filters).</summary>
    public static IEnumerable<string> Operators => MetricFilter.Operators.Keys;

    /// <summary>
    /// A rule as operators write it on the CLI and in the Console, <c>COLUMN OPERATOR VALUE</c> (the value may hold
    /// spaces, as <c>${{ tenant }}</c> does); null when it has fewer than three parts. The rules themselves are checked
    /// when the policy is saved.
    /// </summary>
    public static AccessPolicyRowView? Parse(string line) =>
        line.Trim().Split(' ', 3, StringSplitOptions.RemoveEmptyEntries) is [var column, var op, var value]
            ? new AccessPolicyRowView(column, op, value.Trim())
            : null;
}

/// <summary>A Data Pool as the Console's Access Policies page shows it: whether Access Control is on, and its columns.</summary>
public sealed record DataPoolAccessView(Guid Id, string UniqueName, bool AccessControlEnabled, string[] Columns);

/// <summary>
/// The ops CLI's entry to Access Policies (<c>TokenService policies ...</c>): the same rules and store as the GraphQL
/// mutations (<see cref="AccessPolicies"/>), without a catalog cache (a CLI process lives for one change). Every
/// result is the value or the caller's mistake as one line, never an exception for bad input.
/// </summary>
public sealed class AccessPolicyOperations
{
    private readonly AccessPolicies policies;
    private readonly DataPoolStore pools;
    private readonly TimeProvider time;

    /// <param name="actor">Who the audit trail names for each change: the CLI's OS user, or the Console's operator.</param>
    public AccessPolicyOperations(NpgsqlDataSource db, TimeProvider time, Func<AuditActor> actor)
    {
        var catalog = new CatalogCache(Options.Create(new ResourceApiOptions { CatalogCacheMilliseconds = 0 }), time);
        pools = new DataPoolStore(db, catalog);
        policies = new AccessPolicies(pools, new MetricStore(db, catalog), new AccessPolicyStore(db, catalog, actor));
        this.time = time;
    }

    public Task<(AccessPolicyView? Policy, string? Error)> CreateAsync(string uniqueName, string? description, string dataPool,
        IReadOnlyList<string> columns, IReadOnlyList<AccessPolicyRowView> rows, CancellationToken ct) =>
        RunAsync(async () => await ViewAsync(await policies.CreateAsync(new NewAccessPolicy(uniqueName, description, dataPool, columns,
            rows.Select(r => new MetricFilter(r.Column, r.Operator, r.Value)).ToList()), time, ct), ct));

    public Task<(IReadOnlyList<AccessPolicyView>? Policies, string? Error)> ListAsync(string? dataPool, CancellationToken ct) =>
        RunAsync(async () =>
        {
            var pool = dataPool is null ? (Guid?)null : (await policies.RequirePoolAsync(dataPool, ct)).Id;
            var views = new List<AccessPolicyView>();
            foreach (var policy in await policies.ListAsync(pool, new Page(10_000, 0), ct))
            {
                views.Add(await ViewAsync(policy, ct));
            }

            return (IReadOnlyList<AccessPolicyView>)views;
        });

    /// <summary>Every Data Pool (by name) with its Access Control state and columns.</summary>
    public async Task<IReadOnlyList<DataPoolAccessView>> ListPoolsAsync(CancellationToken ct)
    {
        var views = new List<DataPoolAccessView>();
        foreach (var pool in (await pools.ListAsync(new Page(10_000, 0), ct)).OrderBy(p => p.UniqueName, StringComparer.Ordinal))
        {
            var columns = await pools.ColumnsAsync(pool.TableName, ct);
            views.Add(new DataPoolAccessView(pool.Id, pool.UniqueName, pool.AccessControlEnabled,
                columns.All.Select(c => c.ColumnName).ToArray()));
        }

        return views;
    }

    /// <summary>By unique name or id; null when there is none.</summary>
    public async Task<AccessPolicyView?> FindAsync(string policy, CancellationToken ct) =>
        await policies.FindAsync(policy, ct) is { } found ? await ViewAsync(found, ct) : null;

    public Task<(AccessPolicyView? Policy, string? Error)> AssignAsync(string policy, IReadOnlyList<string> applications, bool assign,
        CancellationToken ct) =>
        RunAsync(async () => await ViewAsync(await policies.AssignAsync(policy, applications, assign, ct), ct));

    /// <summary>The deleted policy's id; null (and no error) when there was none.</summary>
    public Task<(Guid? Id, string? Error)> DeleteAsync(string policy, CancellationToken ct) =>
        RunAsync(() => policies.DeleteAsync(policy, ct));

    public Task<(bool? Enabled, string? Error)> SetAccessControlAsync(string dataPool, bool enabled, CancellationToken ct) =>
        RunAsync(async () => (bool?)(await policies.SetAccessControlAsync(dataPool, enabled, ct)).AccessControlEnabled);

    private async Task<AccessPolicyView> ViewAsync(AccessPolicy policy, CancellationToken ct)
    {
        var pool = await pools.FindAsync(policy.DataPoolId, ct);
        return new AccessPolicyView(policy.Id, policy.UniqueName, policy.Description, pool?.UniqueName ?? "", policy.Columns,
            policy.RowList.Select(r => new AccessPolicyRowView(r.Column, r.Operator, r.Value)).ToList(), policy.Applications,
            policy.CreatedAt, policy.ModifiedAt);
    }

    private static async Task<(T? Value, string? Error)> RunAsync<T>(Func<Task<T>> operation)
    {
        try
        {
            return (await operation(), null);
        }
        catch (AccessPolicyInputException e)
        {
            return (default, e.Message);
        }
        catch (ResourceRequestException e)
        {
            return (default, e.Message);
        }
    }
}
