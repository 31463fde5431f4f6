using GraphQL.Introspection;
using GraphQL.Resolvers;
using GraphQL.Types;
using ResourceApi.Graph.Types;

namespace ResourceApi.Graph;

/// <summary>The schema: Query and Mutation; each field's required scopes are in its description (<see cref="ScopePolicy"/>).</summary>
internal sealed class ResourceSchema : Schema
{
    public ResourceSchema()
    {
        Query = new QueryType();
        Mutation = new MutationType();
        // What graphql-js's getIntrospectionQuery options ask for (directiveIsRepeatable, inputValueDeprecation).
        Features.RepeatableDirectives = true;
        Features.DeprecationOfInputValues = true;
    }

    /// <summary>
    /// Two introspection members of the October 2021 specification that graphql-dotnet 8 lacks, so that graphql-js's
    /// getIntrospectionQuery with every option validates: <c>__Directive.args(includeDeprecated:)</c> (no directive
    /// argument here is deprecated) and <c>__Type.specifiedByURL</c> (no scalar here has a specification URL).
    /// </summary>
    protected override void OnBeforeInitializeType(IGraphType graphType)
    {
        if (graphType is __Directive directive && directive.GetField("args") is { } args
            && args.Arguments?.Find("includeDeprecated") is null)
        {
            args.Arguments ??= [];
            args.Arguments.Add(new QueryArgument<BooleanGraphType> { Name = "includeDeprecated", DefaultValue = false });
        }

        if (graphType is __Type type && type.GetField("specifiedByURL") is null)
        {
            type.AddField(new FieldType
            {
                Name = "specifiedByURL", Type = typeof(StringGraphType), Resolver = new FuncFieldResolver<string?>(_ => null)
            });
        }

        base.OnBeforeInitializeType(graphType);
    }
}
