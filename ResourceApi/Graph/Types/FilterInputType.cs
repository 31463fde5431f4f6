using GraphQL.Types;

namespace ResourceApi.Graph.Types;

internal sealed class FilterInput
{
    public string Column { get; set; } = "";

    public string Operator { get; set; } = "";

    public string Value { get; set; } = "";
}

internal sealed class FilterInputType : InputObjectGraphType<FilterInput>
{
    public FilterInputType()
    {
        Name = "FilterInput";
        Field<NonNullGraphType<StringGraphType>>("column");
        Field<NonNullGraphType<FilterOperatorEnum>>("operator");
        Field<NonNullGraphType<StringGraphType>>("value").Description("Compared as the column's type; bound as a parameter.");
    }
}
