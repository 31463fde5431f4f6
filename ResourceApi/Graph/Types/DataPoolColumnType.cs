using GraphQL.Types;
using ResourceApi.Data;

namespace ResourceApi.Graph.Types;

internal sealed class DataPoolColumnType : ObjectGraphType<PoolColumn>
{
    public DataPoolColumnType()
    {
        Name = "DataPoolColumn";
        Field(c => c.ColumnName);
        Field("type", c => c.DataType);
        Field(c => c.IsNullable);
    }
}
