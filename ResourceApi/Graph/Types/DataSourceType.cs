using GraphQL.Types;
using ResourceApi.Data;

namespace ResourceApi.Graph.Types;

internal sealed class DataSourceType : ObjectGraphType<DataSource>
{
    public DataSourceType()
    {
        Name = "DataSource";
        Description = "Where data comes from: a connection and the tables it exposes to Data Pools.";
        Field(d => d.Id, type: typeof(NonNullGraphType<IdGraphType>));
        Field(d => d.UniqueName);
        Field(d => d.Description);
        Field(d => d.Type).Description("The kind of source, e.g. POSTGRESQL.");
        Field(d => d.Status);
        Field(d => d.Tables);
        Field(d => d.CreatedAt, type: typeof(NonNullGraphType<DateTimeGraphType>));
    }
}
