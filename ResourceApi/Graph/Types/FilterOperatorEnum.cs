using GraphQL.Types;
using ResourceApi.Data;

namespace ResourceApi.Graph.Types;

internal sealed class FilterOperatorEnum : EnumerationGraphType
{
    public FilterOperatorEnum()
    {
        Name = "FilterOperator";
        foreach (var name in MetricFilter.Operators.Keys)
        {
            Add(name, name);
        }
    }
}
