using GraphQL.Types;

namespace ResourceApi.Graph.Types;

internal sealed class SortEnum : EnumerationGraphType
{
    public SortEnum()
    {
        Name = "Sort";
        Add("ASC", false, "Smallest value first.");
        Add("DESC", true, "Largest value first.");
    }
}
