using GraphQL.Types;

namespace ResourceApi.Graph.Types;

internal sealed record CounterResponse(string? Value);

internal sealed class CounterResponseType : ObjectGraphType<CounterResponse>
{
    public CounterResponseType()
    {
        Name = "CounterResponse";
        Field(r => r.Value, nullable: true).Description("The Metric's value as a decimal string.");
    }
}
