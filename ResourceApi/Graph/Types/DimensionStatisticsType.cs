using GraphQL.Types;
using ResourceApi.Data;

namespace ResourceApi.Graph.Types;

internal sealed class DimensionStatisticsType : ObjectGraphType<DimensionStatistics>
{
    public DimensionStatisticsType()
    {
        Name = "DimensionStatistics";
        Description = "What a dimension holds among the rows the caller may see.";
        Field(s => s.Dimension);
        Field(s => s.RowCount, type: typeof(NonNullGraphType<LongGraphType>));
        Field(s => s.UniqueCount, type: typeof(NonNullGraphType<LongGraphType>));
        Field(s => s.Min, nullable: true);
        Field(s => s.Max, nullable: true);
    }
}
