using GraphQL;
using GraphQL.Builders;
using GraphQL.Types;
using GraphQL.Types.Relay;
using Microsoft.Extensions.Options;
using ResourceApi.Data;
using Shared.Protocol;

namespace ResourceApi.Graph.Types;

/// <summary>
/// Every query, each with the scopes that allow it (any one is enough; <c>admin</c> allows all) and the database
/// statements it runs (<see cref="QueryCost"/>; loading a Metric is three: the Metric, its Data Pool, the columns).
/// </summary>
internal sealed class QueryType : ObjectGraphType
{
    public QueryType()
    {
        Name = "Query";

        Field<NonNullGraphType<ConnectionType<DataSourceType>>>("dataSources").Paged()
            .Description("Lists Data Sources.")
            .RequireScopes(Scopes.Admin)
            .CostsDatabase(1)
            .ResolveAsync(ListDataSourcesAsync);

        Field<NonNullGraphType<ConnectionType<DataSourceType>>>("getAllDataSources").Paged()
            .Description("Lists Data Sources (the name of the Propel quick-start request; same as dataSources).")
            .RequireScopes(Scopes.Admin)
            .CostsDatabase(1)
            .ResolveAsync(ListDataSourcesAsync);

        Field<NonNullGraphType<ConnectionType<DataPoolType>>>("dataPools").Paged()
            .Description("Lists Data Pools.")
            .RequireScopes(Scopes.DataPoolQuery, Scopes.Admin)
            .CostsDatabase(1)
            .ResolveAsync(async c =>
                Relay.ToConnection(await c.Service<DataPoolStore>().ListAsync(Relay.PageOf(c), c.CancellationToken), Relay.PageOf(c)));

        Field<NonNullGraphType<ConnectionType<DataPoolAccessPolicyType>>>("dataPoolAccessPolicies").Paged()
            .Argument<StringGraphType>("dataPool", "Only this Data Pool's policies (unique name or ID).")
            .Description("Lists Access Policies.")
            .RequireScopes(Scopes.Admin)
            .CostsDatabase(2)
            .ResolveAsync(async c =>
            {
                var policies = c.Service<AccessPolicies>();
                var pool = c.GetArgument<string?>("dataPool") is { } name ? (await policies.RequirePoolAsync(name,
                    c.CancellationToken)).Id : (Guid?)null;
                return Relay.ToConnection(await policies.ListAsync(pool, Relay.PageOf(c), c.CancellationToken), Relay.PageOf(c));
            });

        Field<DataPoolAccessPolicyType>("dataPoolAccessPolicy")
            .Argument<NonNullGraphType<IdGraphType>>("id", "The policy's ID or unique name.")
            .Description("One Access Policy, or null if there is none of that ID or name.")
            .RequireScopes(Scopes.Admin)
            .CostsDatabase(1)
            .ResolveAsync(async c => await c.Service<AccessPolicies>().FindAsync(c.GetArgument<string>("id"), c.CancellationToken));

        Field<NonNullGraphType<DataGridConnectionType>>("dataGrid").Paged()
            .Argument<NonNullGraphType<StringGraphType>>("dataPool", "The Data Pool's unique name.")
            .Description("A Data Pool's rows, newest first; a tenant token sees its tenant's rows only.")
            .RequireScopes(Scopes.DataPoolQuery, Scopes.Admin)
            .CostsDatabase(3)
            .ResolveAsync(async c =>
            {
                var page = Relay.PageOf(c);
                var grid = await c.Service<DataQueries>().RowsAsync(await PoolAccessAsync(c), page, c.CancellationToken);
                var connection = Relay.ToConnection<DataGridConnection, DataGridRow>(grid.Rows.Select(r => new DataGridRow(r)).ToList(),
                    page);
                connection.Headers = grid.Headers;
                return connection;
            });

        Field<NonNullGraphType<DimensionStatisticsType>>("dataPoolDimensionStats")
            .Argument<NonNullGraphType<StringGraphType>>("dataPool", "The Data Pool's unique name.")
            .Argument<NonNullGraphType<StringGraphType>>("dimension", "A column of the Data Pool.")
            .Description("Row count, unique values, min and max of one column of a Data Pool.")
            .RequireScopes(Scopes.DataPoolStats, Scopes.Admin)
            .CostsDatabase(3)
            .ResolveAsync(async c =>
            {
                return await c.Service<DataQueries>().DimensionStatsAsync(
                    await PoolAccessAsync(c), c.GetArgument<string>("dimension"), [], c.CancellationToken);
            });

        Field<NonNullGraphType<ConnectionType<MetricType>>>("metrics").Paged()
            .Description("Lists Metrics.")
            .RequireScopes(Scopes.MetricRead, Scopes.Admin)
            .CostsDatabase(1)
            .ResolveAsync(async c =>
                Relay.ToConnection(await c.Service<MetricStore>().ListAsync(Relay.PageOf(c), c.CancellationToken), Relay.PageOf(c)));

        Field<NonNullGraphType<CounterResponseType>>("counter").MetricArguments()
            .Description("A Metric's single value over the time range.")
            .RequireScopes(Scopes.MetricQuery, Scopes.Admin)
            .CostsDatabase(4)
            .ResolveAsync(async c =>
            {
                var (source, access) = await MetricAccessAsync(c, usesTimestamp: TimeRangeOf(c) != TimeRange.All);
                return new CounterResponse(await c.Service<MetricQueries>().CounterAsync(source, access, TimeRangeOf(c),
                    c.CancellationToken));
            });

        Field<NonNullGraphType<TimeSeriesResponseType>>("timeSeries").MetricArguments()
            .Argument<NonNullGraphType<TimeSeriesGranularityEnum>>("granularity")
            .Description("A Metric's value per time bucket.")
            .RequireScopes(Scopes.MetricQuery, Scopes.Admin)
            .CostsDatabase(4)
            .ResolveAsync(async c =>
            {
                var (source, access) = await MetricAccessAsync(c, usesTimestamp: true);
                return await c.Service<MetricQueries>().TimeSeriesAsync(
                    source, access, TimeRangeOf(c), c.GetArgument<string>("granularity"), c.CancellationToken);
            });

        Field<NonNullGraphType<LeaderboardResponseType>>("leaderboard").MetricArguments()
            .Argument<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("dimensions", "Columns to group by (1 to 5).")
            .Argument<SortEnum>("sort", a => a.DefaultValue = true)
            .Argument<IntGraphType>("rowLimit", a => a.DefaultValue = 10)
            .Description("A Metric's value grouped by dimensions, best first (DESC) or worst first (ASC).")
            .RequireScopes(Scopes.MetricQuery, Scopes.Admin)
            .CostsDatabase(4)
            .ResolveAsync(async c =>
            {
                var max = c.RequestServices!.GetRequiredService<IOptions<ResourceApiOptions>>().Value.MaxPageSize;
                var rowLimit = c.GetArgument<int>("rowLimit");
                if (rowLimit < 1 || rowLimit > max)
                {
                    throw new ResourceRequestException($"rowLimit must be between 1 and {max}");
                }

                var (source, access) = await MetricAccessAsync(c, usesTimestamp: TimeRangeOf(c) != TimeRange.All);
                return await c.Service<MetricQueries>().LeaderboardAsync(source, access, TimeRangeOf(c),
                    c.GetArgument<List<string>>("dimensions"), c.GetArgument<bool>("sort"), rowLimit, c.CancellationToken);
            });

        Field<NonNullGraphType<DimensionStatisticsType>>("metricDimensionStats")
            .Argument<NonNullGraphType<StringGraphType>>("metric", "The Metric's unique name.")
            .Argument<NonNullGraphType<StringGraphType>>("dimension", "A column of the Metric's Data Pool.")
            .Description("Statistics of one dimension among the rows the Metric counts (its filters applied).")
            .RequireScopes(Scopes.MetricStats, Scopes.Admin)
            .CostsDatabase(4)
            .ResolveAsync(async c =>
            {
                var (source, access) = await MetricAccessAsync(c, usesTimestamp: false);
                return await c.Service<DataQueries>().DimensionStatsAsync(access, c.GetArgument<string>("dimension"),
                    source.Metric.FilterList, c.CancellationToken);
            });
    }

    private static async Task<object?> ListDataSourcesAsync(IResolveFieldContext c) =>
        Relay.ToConnection(await c.Service<DataSourceStore>().ListAsync(Relay.PageOf(c), c.CancellationToken), Relay.PageOf(c));

    /// <summary>The caller's access to the Data Pool named by the dataPool argument (403 without a policy under access control).</summary>
    private static async Task<PoolAccess> PoolAccessAsync(IResolveFieldContext c)
    {
        var (pool, columns) = await c.Service<DataPoolStore>().RequireWithColumnsAsync(c.GetArgument<string>("dataPool"),
            c.CancellationToken);
        return await c.Service<AccessGuard>().ForPoolAsync(pool, columns, Caller.Of(c.User), c.CancellationToken);
    }

    /// <summary>The Metric named by the metric argument, and the caller's access to it (every column it uses allowed).</summary>
    private static async Task<(MetricSource Source, PoolAccess Access)> MetricAccessAsync(IResolveFieldContext c, bool usesTimestamp)
    {
        var source = await c.Service<Catalog>().LoadMetricAsync(c.GetArgument<string>("metric"), c.CancellationToken);
        return (source, await c.Service<AccessGuard>().ForMetricAsync(source, Caller.Of(c.User), usesTimestamp, c.CancellationToken));
    }

    private static TimeRange TimeRangeOf(IResolveFieldContext context) =>
        context.GetArgument<TimeRangeInput?>("timeRange") is { } range ? new TimeRange(range.Start, range.Stop) : TimeRange.All;
}

internal static class MetricArgumentsExtensions
{
    public static FieldBuilder<TSource, object> MetricArguments<TSource>(this FieldBuilder<TSource, object> field) => field
        .Argument<NonNullGraphType<StringGraphType>>("metric", "The Metric's unique name.")
        .Argument<TimeRangeInputType>("timeRange", "Omit for all time.");
}
