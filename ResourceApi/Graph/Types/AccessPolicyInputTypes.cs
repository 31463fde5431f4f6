using GraphQL.Types;

namespace ResourceApi.Graph.Types;

internal sealed class CreateDataPoolAccessPolicyInput
{
    public string UniqueName { get; set; } = "";

    public string? Description { get; set; }

    public string DataPool { get; set; } = "";

    public List<string> Columns { get; set; } = [];

    public List<FilterInput>? Rows { get; set; }
}

internal sealed class CreateDataPoolAccessPolicyInputType : InputObjectGraphType<CreateDataPoolAccessPolicyInput>
{
    public CreateDataPoolAccessPolicyInputType()
    {
        Name = "CreateDataPoolAccessPolicyInput";
        Field<NonNullGraphType<StringGraphType>>("uniqueName");
        Field<StringGraphType>("description");
        Field<NonNullGraphType<StringGraphType>>("dataPool").Description("The Data Pool's unique name or ID.");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("columns").Description("Allowed columns, or [\"*\"].");
        Field<ListGraphType<NonNullGraphType<FilterInputType>>>("rows")
            .Description("Row rules; a value ${{ name }} is filled from the access token's policy_values.");
    }
}

internal sealed class ModifyDataPoolAccessPolicyInput
{
    public string DataPoolAccessPolicy { get; set; } = "";

    public string? UniqueName { get; set; }

    public string? Description { get; set; }

    public List<string>? Columns { get; set; }

    public List<FilterInput>? Rows { get; set; }
}

internal sealed class ModifyDataPoolAccessPolicyInputType : InputObjectGraphType<ModifyDataPoolAccessPolicyInput>
{
    public ModifyDataPoolAccessPolicyInputType()
    {
        Name = "ModifyDataPoolAccessPolicyInput";
        Field<NonNullGraphType<StringGraphType>>("dataPoolAccessPolicy").Description("The policy's ID or unique name.");
        Field<StringGraphType>("uniqueName");
        Field<StringGraphType>("description");
        Field<ListGraphType<NonNullGraphType<StringGraphType>>>("columns").Description("Replaces the allowed columns.");
        Field<ListGraphType<NonNullGraphType<FilterInputType>>>("rows").Description("Replaces the row rules.");
    }
}

internal sealed class AssignDataPoolAccessPolicyInput
{
    public string DataPoolAccessPolicy { get; set; } = "";

    public List<string> Applications { get; set; } = [];
}

internal sealed class AssignDataPoolAccessPolicyInputType : InputObjectGraphType<AssignDataPoolAccessPolicyInput>
{
    public AssignDataPoolAccessPolicyInputType()
    {
        Name = "AssignDataPoolAccessPolicyInput";
        Field<NonNullGraphType<StringGraphType>>("dataPoolAccessPolicy").Description("The policy's ID or unique name.");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("applications").Description("Application client IDs.");
    }
}

internal sealed class ModifyDataPoolInput
{
    public string DataPool { get; set; } = "";

    public bool? AccessControlEnabled { get; set; }
}

internal sealed class ModifyDataPoolInputType : InputObjectGraphType<ModifyDataPoolInput>
{
    public ModifyDataPoolInputType()
    {
        Name = "ModifyDataPoolInput";
        Field<NonNullGraphType<StringGraphType>>("dataPool").Description("The Data Pool's unique name or ID.");
        Field<BooleanGraphType>("accessControlEnabled")
            .Description("On: applications query the pool only through their assigned Access Policy.");
    }
}
