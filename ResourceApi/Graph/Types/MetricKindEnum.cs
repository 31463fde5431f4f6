using GraphQL.Types;
using ResourceApi.Data;

namespace ResourceApi.Graph.Types;

internal sealed class MetricKindEnum : EnumerationGraphType
{
    public MetricKindEnum()
    {
        Name = "MetricType";
        Add(MetricTypes.Count, MetricTypes.Count, "Number of rows.");
        Add(MetricTypes.Sum, MetricTypes.Sum, "Sum of the measure.");
        Add(MetricTypes.Average, MetricTypes.Average, "Average of the measure.");
    }
}
