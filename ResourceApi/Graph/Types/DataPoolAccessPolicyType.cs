using GraphQL.Types;
using ResourceApi.Data;

namespace ResourceApi.Graph.Types;

internal sealed class DataPoolAccessPolicyType : ObjectGraphType<AccessPolicy>
{
    public DataPoolAccessPolicyType()
    {
        Name = "DataPoolAccessPolicy";
        Description = "An Access Policy of one Data Pool: the columns and rows the applications assigned to it may query.";
        Field(p => p.Id, type: typeof(NonNullGraphType<IdGraphType>));
        Field(p => p.UniqueName);
        Field(p => p.Description);
        Field(p => p.DataPoolId, type: typeof(NonNullGraphType<IdGraphType>)).Description("The Data Pool the policy belongs to.");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("columns")
            .Description("The columns allowed; [\"*\"] allows every column.")
            .Resolve(c => c.Source.Columns);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<FilterType>>>>("rows")
            .Description("Row rules, all of which a row must pass; a value ${{ name }} is filled from the token's policy_values.")
            .Resolve(c => c.Source.RowList);
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("applications")
            .Description("The client IDs of the applications assigned to the policy.")
            .Resolve(c => c.Source.Applications);
        Field(p => p.CreatedAt, type: typeof(NonNullGraphType<DateTimeGraphType>));
        Field(p => p.ModifiedAt, type: typeof(NonNullGraphType<DateTimeGraphType>));
    }
}
