namespace ResourceApi.Data;

/// <summary>
/// What one caller may read of one Data Pool: its rows (the tenant filter, and the policy's row rules with the token's
/// values) and its columns (the policy's allow-list). <see cref="Policy"/> is null when the pool's access control is
/// off: then only the tenant filter applies, as before Access Policies.
/// </summary>
internal sealed record PoolAccess(DataPool Pool, PoolColumns Columns, AccessPolicy? Policy, Caller Caller)
{
    /// <summary>The columns the caller may see, in table order.</summary>
    public IReadOnlyList<PoolColumn> VisibleColumns => Policy is null ? Columns.All : Columns.All.Where(c =>
        Policy.Allows(c.ColumnName)).ToList();

    /// <summary>A column the query uses: unknown is a caller mistake, outside the allow-list is refused (403) by name.</summary>
    public PoolColumn RequireColumn(string name, string role)
    {
        var column = Columns.Require(name, role);
        return Policy is null || Policy.Allows(column.ColumnName) ? column
            : throw new AccessPolicyRefusedException(
                $"Application '{Caller.ClientId}' is not allowed to query column '{name}' of Data Pool " +
                $"'{Pool.UniqueName}': its Access Policy '{Policy.UniqueName}' does not allow that column");
    }

    /// <summary>The rows the caller may see: every data query's WHERE starts here.</summary>
    public Sql Rows() => Sql.VisibleTo(this);
}

/// <summary>Resolves a caller's <see cref="PoolAccess"/>: with access control on, only through its assigned policy.</summary>
internal sealed class AccessGuard(AccessPolicyStore policies)
{
    public async Task<PoolAccess> ForPoolAsync(DataPool pool, PoolColumns columns, Caller caller, CancellationToken ct)
    {
        if (!pool.AccessControlEnabled)
        {
            return new PoolAccess(pool, columns, null, caller);
        }

        var policy = caller.ClientId.Length == 0 ? null : await policies.ForApplicationAsync(pool.Id, caller.ClientId, ct);
        return policy is null
            ? throw new AccessPolicyRefusedException(
                $"Application '{caller.ClientId}' is not allowed to query Data Pool '{pool.UniqueName}', " +
                "because it has no Access Policy for it")
            : new PoolAccess(pool, columns, policy, caller);
    }

    /// <summary>A Metric is queryable only if the policy allows every column its definition (and this query) uses.</summary>
    public async Task<PoolAccess> ForMetricAsync(MetricSource source, Caller caller, bool usesTimestamp, CancellationToken ct)
    {
        var access = await ForPoolAsync(source.Pool, source.Columns, caller, ct);
        if (access.Policy is null)
        {
            return access;
        }

        var used = source.Metric.FilterList.Select(f => f.Column).Prepend(source.Metric.Measure)
            .Append(usesTimestamp ? source.Pool.TimestampColumn : null).OfType<string>();
        foreach (var column in used)
        {
            if (!access.Policy.Allows(column))
            {
                throw new AccessPolicyRefusedException($"Application '{caller.ClientId}' is not allowed to query Metric " +
                    $"'{source.Metric.UniqueName}': it uses column '{column}' of Data Pool '{source.Pool.UniqueName}', " +
                    "which its Access Policy " +
                    $"'{access.Policy.UniqueName}' does not allow");
            }
        }

        return access;
    }
}
