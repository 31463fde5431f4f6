using GraphQL.Types;
using ResourceApi.Data;

namespace ResourceApi.Graph.Types;

internal sealed class TimeSeriesGranularityEnum : EnumerationGraphType
{
    public TimeSeriesGranularityEnum()
    {
        Name = "TimeSeriesGranularity";
        foreach (var granularity in MetricQueries.Granularities)
        {
            Add(granularity.ToUpperInvariant(), granularity);
        }
    }
}
