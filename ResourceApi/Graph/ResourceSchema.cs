using GraphQL.Types;
using ResourceApi.Graph.Types;

namespace ResourceApi.Graph;

/// <summary>The schema: Query and Mutation, with each root field's required scopes written into its description.</summary>
internal sealed class ResourceSchema : Schema
{
    public ResourceSchema()
    {
        Query = new QueryType();
        Mutation = new MutationType();
        ScopePolicy.Describe(Query, Mutation);
    }
}
