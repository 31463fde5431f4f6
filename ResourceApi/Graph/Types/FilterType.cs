using GraphQL.Types;
using ResourceApi.Data;

namespace ResourceApi.Graph.Types;

internal sealed class FilterType : ObjectGraphType<MetricFilter>
{
    public FilterType()
    {
        Name = "Filter";
        Field(f => f.Column);
        Field<NonNullGraphType<FilterOperatorEnum>>("operator").Resolve(c => c.Source.Operator);
        Field(f => f.Value);
    }
}
