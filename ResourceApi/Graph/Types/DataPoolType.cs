using GraphQL;
using GraphQL.Types;
using ResourceApi.Data;

namespace ResourceApi.Graph.Types;

internal sealed class DataPoolType : ObjectGraphType<DataPool>
{
    public DataPoolType()
    {
        Name = "DataPool";
        Description = "A table of a Data Source, with its timestamp and tenant columns: what Metrics aggregate.";
        Field(p => p.Id, type: typeof(NonNullGraphType<IdGraphType>));
        Field(p => p.UniqueName);
        Field(p => p.Description);
        Field("table", p => p.TableName);
        Field("timestamp", p => p.TimestampColumn).Description("The column time ranges and time series use.");
        Field("tenant", p => p.TenantColumn).Description("The column tenant policies filter on.");
        Field(p => p.AccessControlEnabled)
            .Description("On: applications query the pool only through their assigned Access Policy (set by modifyDataPool).");
        Field(p => p.CreatedAt, type: typeof(NonNullGraphType<DateTimeGraphType>));
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<DataPoolColumnType>>>>("columns")
            .CostsDatabase(1)
            .ResolveAsync(async c =>
                await c.RequestServices!.GetRequiredService<DataPoolStore>().ColumnsAsync(c.Source.TableName, c.CancellationToken));
    }
}
