namespace ResourceApi.Data;

/// <summary>
/// The rules of Access Policies: what makes a policy valid before it is stored, assignments, and access control on a
/// pool. One code path for the GraphQL mutations and the ops CLI (<c>TokenService policies ...</c>). Every mistake is
/// an <see cref="AccessPolicyInputException"/> naming the input field.
/// </summary>
internal sealed class AccessPolicies(DataPoolStore pools, MetricStore metrics, AccessPolicyStore store)
{
    public const int MaxRows = 20;

    public const int MaxApplications = 100;

    public async Task<AccessPolicy> CreateAsync(NewAccessPolicy input, TimeProvider time, CancellationToken ct)
    {
        RequireName(input.UniqueName);
        var (pool, columns) = await RequirePoolWithColumnsAsync(input.DataPool, ct);
        var policy = new AccessPolicy
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()),
            UniqueName = input.UniqueName,
            Description = input.Description ?? "",
            DataPoolId = pool.Id,
            Columns = CheckColumns(input.Columns, columns),
            Rows = MetricFilter.ToJson(await CheckRowsAsync(input.Rows, columns, ct)),
        };
        await store.InsertAsync(policy, pool.TableName, ct);
        return await RequireAsync(policy.Id.ToString(), ct);
    }

    public async Task<AccessPolicy> ModifyAsync(AccessPolicyChange change, CancellationToken ct)
    {
        var policy = await RequireAsync(change.Policy, ct);
        var (pool, columns) = await PoolOfAsync(policy, ct);
        if (change.UniqueName is not null)
        {
            RequireName(change.UniqueName);
        }

        var modified = policy with
        {
            UniqueName = change.UniqueName ?? policy.UniqueName,
            Description = change.Description ?? policy.Description,
            Columns = change.Columns is null ? policy.Columns : CheckColumns(change.Columns, columns),
            Rows = change.Rows is null ? policy.Rows : MetricFilter.ToJson(await CheckRowsAsync(change.Rows, columns, ct)),
        };
        await store.UpdateAsync(modified, pool.TableName, ct);
        return await RequireAsync(policy.Id.ToString(), ct);
    }

    public async Task<Guid?> DeleteAsync(string name, CancellationToken ct)
    {
        if (await store.FindAsync(name, ct) is not { } policy)
        {
            return null;
        }

        var (pool, _) = await PoolOfAsync(policy, ct);
        await store.DeleteAsync(policy, pool.TableName, ct);
        return policy.Id;
    }

    public async Task<AccessPolicy> AssignAsync(string name, IReadOnlyList<string> applications, bool assign, CancellationToken ct)
    {
        var policy = await RequireAsync(name, ct);
        var clients = CheckApplications(applications);
        var (pool, _) = await PoolOfAsync(policy, ct);
        await (assign ? store.AssignAsync(policy, clients, pool.TableName, ct) : store.UnassignAsync(policy, clients, pool.TableName, ct));
        return await RequireAsync(policy.Id.ToString(), ct);
    }

    public async Task<DataPool> SetAccessControlAsync(string dataPool, bool enabled, CancellationToken ct)
    {
        var pool = await RequirePoolAsync(dataPool, ct);
        await store.SetAccessControlAsync(pool, enabled, ct);
        return await RequirePoolAsync(pool.Id.ToString(), ct);
    }

    public Task<IReadOnlyList<AccessPolicy>> ListAsync(Guid? pool, Page page, CancellationToken ct) => store.ListAsync(pool, page, ct);

    public Task<AccessPolicy?> FindAsync(string name, CancellationToken ct) => store.FindAsync(name, ct);

    public async Task<AccessPolicy> RequireAsync(string name, CancellationToken ct) =>
        await store.FindAsync(name, ct) ?? throw new AccessPolicyInputException($"dataPoolAccessPolicy: no Access Policy named '{name}'");

    /// <summary>By unique name or ID.</summary>
    public async Task<DataPool> RequirePoolAsync(string name, CancellationToken ct) =>
        (Guid.TryParse(name, out var id) ? await pools.FindAsync(id, ct) : null)
        ?? await pools.FindByNameAsync(name, ct)
        ?? throw new AccessPolicyInputException($"dataPool: no Data Pool named '{name}'");

    private async Task<(DataPool, PoolColumns)> RequirePoolWithColumnsAsync(string name, CancellationToken ct)
    {
        var pool = await RequirePoolAsync(name, ct);
        return (pool, await pools.ColumnsAsync(pool.TableName, ct));
    }

    private async Task<(DataPool, PoolColumns)> PoolOfAsync(AccessPolicy policy, CancellationToken ct)
    {
        var pool = await pools.FindAsync(policy.DataPoolId, ct)
            ?? throw new AccessPolicyInputException("dataPool: the policy's Data Pool is gone");
        return (pool, await pools.ColumnsAsync(pool.TableName, ct));
    }

    private static void RequireName(string uniqueName)
    {
        if (string.IsNullOrWhiteSpace(uniqueName) || uniqueName.Length > 200)
        {
            throw new AccessPolicyInputException("uniqueName must be 1 to 200 characters");
        }
    }

    /// <summary><c>["*"]</c>, or distinct columns of the pool; never empty (a policy that allows nothing is a mistake).</summary>
    private static string[] CheckColumns(IReadOnlyList<string> requested, PoolColumns columns)
    {
        if (requested.Count == 0)
        {
            throw new AccessPolicyInputException("columns: name at least one column, or [\"*\"] for all");
        }

        if (requested.Contains(AccessPolicy.AllColumns))
        {
            return requested.Count == 1 ? [AccessPolicy.AllColumns]
                : throw new AccessPolicyInputException("columns: \"*\" allows every column and cannot be combined with others");
        }

        foreach (var column in requested)
        {
            if (columns.Find(column) is null)
            {
                throw new AccessPolicyInputException(
                    $"columns: unknown column '{column}'; columns are: {string.Join(", ", columns.All.Select(c => c.ColumnName))}");
            }
        }

        return requested.Distinct(StringComparer.Ordinal).ToArray();
    }

    private async Task<IReadOnlyList<MetricFilter>> CheckRowsAsync(IReadOnlyList<MetricFilter> rows, PoolColumns columns,
        CancellationToken ct)
    {
        if (rows.Count > MaxRows)
        {
            throw new AccessPolicyInputException($"rows: at most {MaxRows} row rules");
        }

        for (var i = 0; i < rows.Count; i++)
        {
            var (column, op, value) = (rows[i].Column, rows[i].Operator, rows[i].Value);
            if (columns.Find(column) is not { } known)
            {
                throw new AccessPolicyInputException(
                    $"rows[{i}].column: unknown column '{column}'; columns are: " +
                    string.Join(", ", columns.All.Select(c => c.ColumnName)));
            }

            var cast = known.CastType ?? throw new AccessPolicyInputException($"rows[{i}].column: column '{column}' cannot be filtered");
            if (!MetricFilter.Operators.ContainsKey(op))
            {
                throw new AccessPolicyInputException(
                    $"rows[{i}].operator: unknown operator '{op}'; operators are: {string.Join(", ", MetricFilter.Operators.Keys)}");
            }

            if (AccessPolicy.IsMalformedPlaceholder(value))
            {
                throw new AccessPolicyInputException(
                    $"rows[{i}].value: '{value}' is not a valid placeholder: " +
                    "write ${{ name }} with a name of letters, digits and '_'");
            }

            if (AccessPolicy.PlaceholderName(value) is null && !await metrics.CastsAsync(value, cast, ct))
            {
                throw new AccessPolicyInputException($"rows[{i}].value: '{value}' is not a valid {cast} for column '{column}'");
            }
        }

        return rows;
    }

    private static string[] CheckApplications(IReadOnlyList<string> applications)
    {
        if (applications.Count is 0 or > MaxApplications
            || applications.Any(a => string.IsNullOrWhiteSpace(a) || a.Length > 200 || a.Any(char.IsControl)))
        {
            throw new AccessPolicyInputException(
                $"applications: name 1 to {MaxApplications} application client IDs (1 to 200 characters each)");
        }

        return applications.Distinct(StringComparer.Ordinal).ToArray();
    }
}
