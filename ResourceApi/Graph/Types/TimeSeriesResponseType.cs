using GraphQL.Types;
using ResourceApi.Data;

namespace ResourceApi.Graph.Types;

internal sealed class TimeSeriesResponseType : ObjectGraphType<TimeSeries>
{
    public TimeSeriesResponseType()
    {
        Name = "TimeSeriesResponse";
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("labels").Description("Bucket starts, ISO 8601 UTC.")
            .Resolve(c => c.Source.Labels);
        Field<NonNullGraphType<ListGraphType<StringGraphType>>>("values").Resolve(c => c.Source.Values);
    }
}
