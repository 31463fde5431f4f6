using GraphQL;
using GraphQL.Types;
using ResourceApi.Data;
using Shared.Protocol;

namespace ResourceApi.Graph.Types;

internal sealed class MetricType : ObjectGraphType<Metric>
{
    public MetricType()
    {
        Name = "Metric";
        Description = "An aggregation (COUNT, SUM or AVERAGE) of a Data Pool, with optional filters.";
        Field(m => m.Id, type: typeof(NonNullGraphType<IdGraphType>));
        Field(m => m.UniqueName);
        Field(m => m.Description);
        Field<NonNullGraphType<MetricKindEnum>>("type").Resolve(c => c.Source.Type);
        Field(m => m.Measure, nullable: true).Description("The aggregated column; null for COUNT.");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<FilterType>>>>("filters").Resolve(c => c.Source.FilterList);
        Field(m => m.CreatedAt, type: typeof(NonNullGraphType<DateTimeGraphType>));
        // The Data Pool is data_pool data: reading it through a Metric needs the same scope as reading it directly.
        Field<DataPoolType>("dataPool")
            .Description("The Data Pool the Metric aggregates.")
            .RequireScopes(Scopes.DataPoolQuery, Scopes.Admin)
            .CostsDatabase(1)
            .ResolveAsync(async c =>
                await c.RequestServices!.GetRequiredService<DataPoolStore>().FindAsync(c.Source.DataPoolId, c.CancellationToken));
    }
}
