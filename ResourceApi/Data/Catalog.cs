namespace ResourceApi.Data;

/// <summary>New Data Pool: which table of which Data Source, and which columns hold the timestamp and the tenant.</summary>
internal sealed record NewDataPool(string UniqueName, string? Description, string DataSource, string Table, string Timestamp, string Tenant);

/// <summary>New Metric: an aggregation of a Data Pool, optionally over a measure column and with filters.</summary>
internal sealed record NewMetric(string UniqueName, string? Description, string DataPool, string Type, string? Measure, IReadOnlyList<MetricFilter> Filters);

/// <summary>
/// The catalog's rules: what makes a Data Pool or a Metric valid before it is stored, and loading a Metric with
/// everything a query needs. Shared by the GraphQL mutations and queries.
/// </summary>
internal sealed class Catalog(DataSourceStore sources, DataPoolStore pools, MetricStore metrics)
{
    public async Task<MetricSource> LoadMetricAsync(string uniqueName, CancellationToken ct)
    {
        var metric = await metrics.RequireAsync(uniqueName, ct);
        var pool = await pools.FindAsync(metric.DataPoolId, ct) ?? throw new ResourceRequestException($"Metric '{uniqueName}' has no Data Pool");
        return new MetricSource(metric, pool, await pools.ColumnsAsync(pool.TableName, ct));
    }

    public async Task<DataPool> CreateDataPoolAsync(NewDataPool input, TimeProvider time, CancellationToken ct)
    {
        RequireName(input.UniqueName);
        var source = await sources.FindAsync(input.DataSource, ct) ?? throw new ResourceRequestException($"no Data Source named '{input.DataSource}'");
        if (!source.Tables.Contains(input.Table, StringComparer.Ordinal))
        {
            throw new ResourceRequestException($"Data Source '{source.UniqueName}' has no table '{input.Table}'; it has: {string.Join(", ", source.Tables)}");
        }

        var columns = await pools.ColumnsAsync(input.Table, ct);
        if (!columns.Require(input.Timestamp, "timestamp column").IsTimestamp)
        {
            throw new ResourceRequestException($"timestamp column '{input.Timestamp}' is not a timestamp");
        }

        columns.Require(input.Tenant, "tenant column");
        return await pools.InsertAsync(new DataPool(Guid.CreateVersion7(time.GetUtcNow()), input.UniqueName, input.Description ?? "", source.Id,
            input.Table, input.Timestamp, input.Tenant, time.GetUtcNow().UtcDateTime), ct);
    }

    public async Task<Metric> CreateMetricAsync(NewMetric input, TimeProvider time, CancellationToken ct)
    {
        RequireName(input.UniqueName);
        var pool = await pools.RequireAsync(input.DataPool, ct);
        var columns = await pools.ColumnsAsync(pool.TableName, ct);
        if ((input.Type == MetricTypes.Count) != (input.Measure is null))
        {
            throw new ResourceRequestException("COUNT takes no measure; SUM and AVERAGE need one");
        }

        if (input.Measure is not null && !columns.Require(input.Measure, "measure").IsNumeric)
        {
            throw new ResourceRequestException($"measure '{input.Measure}' is not numeric");
        }

        foreach (var filter in input.Filters)
        {
            var cast = columns.Require(filter.Column, "filter column").CastType
                ?? throw new ResourceRequestException($"column '{filter.Column}' cannot be filtered");
            if (!await metrics.CastsAsync(filter.Value, cast, ct))
            {
                throw new ResourceRequestException($"filter value '{filter.Value}' is not a valid {cast} for column '{filter.Column}'");
            }
        }

        return await metrics.InsertAsync(new Metric(Guid.CreateVersion7(time.GetUtcNow()), input.UniqueName, input.Description ?? "", pool.Id,
            input.Type, input.Measure, MetricFilter.ToJson(input.Filters), time.GetUtcNow().UtcDateTime), ct);
    }

    private static void RequireName(string uniqueName)
    {
        if (string.IsNullOrWhiteSpace(uniqueName) || uniqueName.Length > 200)
        {
            throw new ResourceRequestException("uniqueName must be 1 to 200 characters");
        }
    }
}
