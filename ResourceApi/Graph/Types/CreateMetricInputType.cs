using GraphQL.Types;

namespace ResourceApi.Graph.Types;

internal sealed class CreateMetricInput
{
    public string UniqueName { get; set; } = "";

    public string? Description { get; set; }

    public string DataPool { get; set; } = "";

    public string Type { get; set; } = "";

    public string? Measure { get; set; }

    public List<FilterInput>? Filters { get; set; }
}

internal sealed class CreateMetricInputType : InputObjectGraphType<CreateMetricInput>
{
    public CreateMetricInputType()
    {
        Name = "CreateMetricInput";
        Field<NonNullGraphType<StringGraphType>>("uniqueName");
        Field<StringGraphType>("description");
        Field<NonNullGraphType<StringGraphType>>("dataPool").Description("The Data Pool's unique name.");
        Field<NonNullGraphType<MetricKindEnum>>("type");
        Field<StringGraphType>("measure").Description("The numeric column SUM and AVERAGE aggregate; omit for COUNT.");
        Field<ListGraphType<NonNullGraphType<FilterInputType>>>("filters");
    }
}
