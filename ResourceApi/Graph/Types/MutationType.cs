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

        AccessPolicyMutations(this);
    }

    private static void AccessPolicyMutations(MutationType type)
    {
        type.Field<NonNullGraphType<DataPoolType>>("modifyDataPool")
            .Argument<NonNullGraphType<ModifyDataPoolInputType>>("input")
            .Description("Changes a Data Pool: accessControlEnabled turns Access Control on or off at once.")
            .RequireScopes(Scopes.Admin)
            .ChangesSharedCatalog()
            .CostsDatabase(4)
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<ModifyDataPoolInput>("input");
                var policies = c.Service<AccessPolicies>();
                return input.AccessControlEnabled is { } enabled
                    ? await policies.SetAccessControlAsync(input.DataPool, enabled, c.CancellationToken)
                    : await policies.RequirePoolAsync(input.DataPool, c.CancellationToken);
            });

        type.Field<NonNullGraphType<DataPoolAccessPolicyType>>("createDataPoolAccessPolicy")
            .Argument<NonNullGraphType<CreateDataPoolAccessPolicyInputType>>("input")
            .Description("Creates an Access Policy for a Data Pool.")
            .RequireScopes(Scopes.Admin)
            .ChangesSharedCatalog()
            .CostsDatabase(25)
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<CreateDataPoolAccessPolicyInput>("input");
                return await c.Service<AccessPolicies>().CreateAsync(
                    new NewAccessPolicy(input.UniqueName, input.Description, input.DataPool, input.Columns, RulesOf(input.Rows) ?? []),
                    c.Service<TimeProvider>(), c.CancellationToken);
            });

        type.Field<NonNullGraphType<DataPoolAccessPolicyType>>("modifyDataPoolAccessPolicy")
            .Argument<NonNullGraphType<ModifyDataPoolAccessPolicyInputType>>("input")
            .Description("Changes an Access Policy; omitted fields stay as they are.")
            .RequireScopes(Scopes.Admin)
            .ChangesSharedCatalog()
            .CostsDatabase(25)
            .ResolveAsync(async c =>
            {
                var input = c.GetArgument<ModifyDataPoolAccessPolicyInput>("input");
                return await c.Service<AccessPolicies>().ModifyAsync(new AccessPolicyChange(
                    input.DataPoolAccessPolicy, input.UniqueName, input.Description, input.Columns, RulesOf(input.Rows)),
                        c.CancellationToken);
            });

        type.Field<IdGraphType>("deleteDataPoolAccessPolicy")
            .Argument<NonNullGraphType<IdGraphType>>("id", "The policy's ID or unique name.")
            .Description("Deletes an Access Policy and its assignments; returns its id, or null if there was none.")
            .RequireScopes(Scopes.Admin)
            .ChangesSharedCatalog()
            .CostsDatabase(4)
            .ResolveAsync(async c => await c.Service<AccessPolicies>().DeleteAsync(c.GetArgument<string>("id"), c.CancellationToken));

        foreach (var (name, assign) in new[] { ("assignDataPoolAccessPolicy", true), ("unAssignDataPoolAccessPolicy", false) })
        {
            type.Field<NonNullGraphType<DataPoolAccessPolicyType>>(name)
                .Argument<NonNullGraphType<AssignDataPoolAccessPolicyInputType>>("input")
                .Description(assign ? "Assigns the policy to applications (at most one policy per application and Data Pool)."
                    : "Removes the policy from applications.")
                .RequireScopes(Scopes.Admin)
                .ChangesSharedCatalog()
                .CostsDatabase(6)
                .ResolveAsync(async c =>
                {
                    var input = c.GetArgument<AssignDataPoolAccessPolicyInput>("input");
                    return await c.Service<AccessPolicies>().AssignAsync(input.DataPoolAccessPolicy, input.Applications, assign,
                        c.CancellationToken);
                });
        }
    }

    private static List<MetricFilter>? RulesOf(List<FilterInput>? rows) =>
        rows?.Select(f => new MetricFilter(f.Column, f.Operator, f.Value)).ToList();

    private static Guid IdOf(IResolveFieldContext context) =>
        Guid.TryParse(context.GetArgument<string>("id"), out var id) ? id : throw new ResourceRequestException("id is not a valid ID");
}
