using GraphQL.Validation;
using GraphQLParser.AST;

namespace ResourceApi.Graph;

/// <summary>GraphQL over HTTP: GET is safe, so it may carry queries only; a mutation over GET is refused (405).</summary>
internal sealed class MutationOverGetError(GraphQLParser.ROM source, ASTNode node)
    : ValidationError(source, "http.get", "mutations must be sent with POST", node);

internal sealed class QueriesOnlyOverGetRule : ValidationRuleBase
{
    public static readonly QueriesOnlyOverGetRule Instance = new();

    public override ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context) =>
        new(new MatchingNodeVisitor<GraphQLOperationDefinition>((operation, ctx) =>
        {
            if (operation == ctx.Operation && operation.Operation != OperationType.Query)
            {
                ctx.ReportError(new MutationOverGetError(ctx.Document.Source, operation));
            }
        }));
}
