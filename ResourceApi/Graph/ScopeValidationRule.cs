using GraphQL.Validation;
using GraphQLParser;
using GraphQLParser.AST;

namespace ResourceApi.Graph;

/// <summary>A field the token may not select: its path and the scopes (any one of them) that would allow it.</summary>
internal sealed class InsufficientScopeError : ValidationError
{
    public const string ErrorCode = "INSUFFICIENT_SCOPE";

    public InsufficientScopeError(ROM source, GraphQLField node, IReadOnlyList<string> path, IReadOnlyList<string> requiredScopes)
        : base(source, "scope", Describe(path, requiredScopes), node)
    {
        Code = ErrorCode;
        FieldPath = path;
        RequiredScopes = requiredScopes;
        Path = path;
    }

    public IReadOnlyList<string> FieldPath { get; }

    public IReadOnlyList<string> RequiredScopes { get; }

    private static string Describe(IReadOnlyList<string> path, IReadOnlyList<string> scopes) => scopes.Count == 0
        ? $"field '{string.Join('.', path)}' has no scope policy and is refused"
        : $"field '{string.Join('.', path)}' requires scope {string.Join(" or ", scopes)}";
}

/// <summary>
/// Enforces <see cref="ScopePolicy"/> during validation, so nothing runs unless every selected field is allowed.
/// Every refused field is reported (not just the first), so a client learns all it needs from one answer. Root
/// fields without a policy are refused too: a new field is closed until someone decides who may use it.
/// Introspection (<c>__schema</c>, <c>__type</c>, <c>__typename</c>) needs no scope.
/// </summary>
internal sealed class ScopeValidationRule : ValidationRuleBase
{
    public static readonly ScopeValidationRule Instance = new();

    public override ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context)
    {
        var granted = ScopePolicy.GrantedScopes(context.User);
        // The response path so far: aliases where given (relative to the fragment when inside a fragment definition).
        var path = new List<string>();
        return new(new MatchingNodeVisitor<GraphQLField>(
            (node, ctx) =>
            {
                path.Add((node.Alias?.Name ?? node.Name).StringValue);
                var field = ctx.TypeInfo.GetFieldDef();
                if (field is null || field.Name.StartsWith("__", StringComparison.Ordinal))
                {
                    return;
                }

                var required = field.RequiredScopes();
                var parent = ctx.TypeInfo.GetParentType();
                var isRoot = parent == ctx.Schema.Query || parent == ctx.Schema.Mutation;
                if ((required is null && isRoot) || (required is not null && !required.Any(granted.Contains)))
                {
                    ctx.ReportError(new InsufficientScopeError(ctx.Document.Source, node, [.. path], required ?? []));
                }
            },
            (_, _) => path.RemoveAt(path.Count - 1)));
    }
}
