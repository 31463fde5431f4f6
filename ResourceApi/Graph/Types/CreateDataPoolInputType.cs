using GraphQL.Types;

namespace ResourceApi.Graph.Types;

internal sealed class CreateDataPoolInput
{
    public string UniqueName { get; set; } = "";

    public string? Description { get; set; }

    public string DataSource { get; set; } = "";

    public string Table { get; set; } = "";

    public string Timestamp { get; set; } = "";

    public string Tenant { get; set; } = "";
}

internal sealed class CreateDataPoolInputType : InputObjectGraphType<CreateDataPoolInput>
{
    public CreateDataPoolInputType()
    {
        Name = "CreateDataPoolInput";
        Field<NonNullGraphType<StringGraphType>>("uniqueName");
        Field<StringGraphType>("description");
        Field<NonNullGraphType<StringGraphType>>("dataSource").Description("The Data Source's unique name.");
        Field<NonNullGraphType<StringGraphType>>("table").Description("One of the Data Source's tables.");
        Field<NonNullGraphType<StringGraphType>>("timestamp").Description("The timestamp column.");
        Field<NonNullGraphType<StringGraphType>>("tenant").Description("The tenant column tenant policies filter on.");
    }
}
