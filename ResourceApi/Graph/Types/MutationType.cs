using GraphQL;
using GraphQL.Types;
using ResourceApi.Data;
using Shared.Protocol;

namespace ResourceApi.Graph.Types;

/// <summary>
/// Catalog changes: <c>admin</c> only ("read and write access to Data Sources, Data Pools and Metrics"), and never with a
/// tenant-scoped token: the catalog is shared by every tenant.
/// </summary>
internal sealed class MutationType : ObjectGraphType
{
    public MutationType()
    {
        Name = "Mutation";

        Field<NonNullGraphType<DataPoolType>>("createDataPool")
            .Argument<NonNullGraphType<CreateDataPoolInputType>>("input")
            .Description("Creates a Data Pool over a table of a Data Source.")
            .RequireScopes(Scopes.Admin)
            .ChangesSharedCatalog()
            .CostsDatabase(4)
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<CreateDataPoolInput>("input");
                return await c.Service<Catalog>().CreateDataPoolAsync(
                    new NewDataPool(input.UniqueName, input.Description, input.DataSource, input.Table, input.Timestamp, input.Tenant),
                    c.Service<TimeProvider>(), c.CancellationToken);
            });

        Field<IdGraphType>("deleteDataPool")
            .Argument<NonNullGraphType<IdGraphType>>("id")
            .Description("Deletes a Data Pool that no Metric uses; returns its id, or null if there was none.")
            .RequireScopes(Scopes.Admin)
            .ChangesSharedCatalog()
            .CostsDatabase(1)
            .ResolveAsync(async c => await c.Service<DataPoolStore>().DeleteAsync(IdOf(c), c.CancellationToken) ? IdOf(c) : null);

        Field<NonNullGraphType<MetricType>>("createMetric")
            .Argument<NonNullGraphType<CreateMetricInputType>>("input")
            .Description("Creates a COUNT, SUM or AVERAGE Metric over a Data Pool.")
            .RequireScopes(Scopes.Admin)
            .ChangesSharedCatalog()
            .CostsDatabase(8)
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<CreateMetricInput>("input");
                var filters = (input.Filters ?? []).Select(f => new MetricFilter(f.Column, f.Operator, f.Value)).ToList();
                return await c.Service<Catalog>().CreateMetricAsync(
                    new NewMetric(input.UniqueName, input.Description, input.DataPool, input.Type, input.Measure, filters),
                    c.Service<TimeProvider>(), c.CancellationToken);
            });

        Field<IdGraphType>("deleteMetric")
            .Argument<NonNullGraphType<IdGraphType>>("id")
            .Description("Deletes a Metric; returns its id, or null if there was none.")
            .RequireScopes(Scopes.Admin)
            .ChangesSharedCatalog()
            .CostsDatabase(1)
            .ResolveAsync(async c => await c.Service<MetricStore>().DeleteAsync(IdOf(c), c.CancellationToken) ? IdOf(c) : null);
    }

    private static Guid IdOf(IResolveFieldContext context) =>
        Guid.TryParse(context.GetArgument<string>("id"), out var id) ? id : throw new ResourceRequestException("id is not a valid ID");
}
