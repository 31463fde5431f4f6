using System.Security.Claims;
using GraphQL;
using GraphQL.Validation;
using GraphQLParser;
using GraphQLParser.AST;

namespace ResourceApi.Graph;

/// <summary>
/// One field of a document that needs a scope: its schema coordinate (<c>Query.dataPools</c>), its response path
/// (aliases where given; relative to the fragment inside a fragment definition), the scopes any one of which allow
/// it, and whether it changes the shared catalog. A document's list of these is computed once, cached with the
/// document, and checked against each caller's token.
/// </summary>
internal sealed record ScopeRequirement(string Coordinate, IReadOnlyList<string> Path, IReadOnlyList<string> AnyOf, bool SharedCatalog,
    GraphQLField Node)
{
    /// <summary>RFC 6750 s.3.1: every refused field of the document (not just the first), so one answer says all.</summary>
    public static List<ValidationError> Refusals(ROM source, IReadOnlyList<ScopeRequirement> requirements, ClaimsPrincipal? user)
    {
        var refused = new List<ValidationError>();
        if (requirements.Count == 0)
        {
            return refused;
        }

        var granted = ScopePolicy.GrantedScopes(user);
        var tenant = ScopePolicy.TenantOf(user);
        foreach (var requirement in requirements)
        {
            if (!requirement.AnyOf.Any(granted.Contains))
            {
                refused.Add(new InsufficientScopeError(source, requirement));
            }
            else if (requirement.SharedCatalog && tenant is not null)
            {
                refused.Add(new TenantScopedCatalogChangeError(source, requirement));
            }
        }

        return refused;
    }
}

/// <summary>A field the token may not select, with its coordinate, its path and the scopes (any one of them) that would allow it.</summary>
internal sealed class InsufficientScopeError : ValidationError
{
    public const string ErrorCode = "INSUFFICIENT_SCOPE";

    public InsufficientScopeError(ROM source, ScopeRequirement requirement)
        : base(source, "scope", Describe(requirement), requirement.Node)
    {
        Code = ErrorCode;
        Requirement = requirement;
        Path = requirement.Path;
    }

    public ScopeRequirement Requirement { get; }

    private static string Describe(ScopeRequirement r) => r.AnyOf.Count == 0
        ? $"field {r.Coordinate} (at path {string.Join('.', r.Path)}) has no scope policy and is refused"
        : $"field {r.Coordinate} (at path {string.Join('.', r.Path)}) requires scope {string.Join(" or ", r.AnyOf)}";
}

/// <summary>A tenant-scoped token asked to change the catalog every tenant shares: refused whatever its scopes.</summary>
internal sealed class TenantScopedCatalogChangeError : ValidationError
{
    public const string ErrorCode = "TENANT_SCOPED_TOKEN";

    public TenantScopedCatalogChangeError(ROM source, ScopeRequirement requirement)
        : base(source, "tenant", $"field {requirement.Coordinate} (at path {string.Join('.', requirement.Path)}) changes the catalog " +
            "all tenants share; a tenant-scoped token may not call it (use a token without a tenant)", requirement.Node)
    {
        Code = ErrorCode;
        Requirement = requirement;
        Path = requirement.Path;
    }

    public ScopeRequirement Requirement { get; }
}

/// <summary>
/// Collects a document's <see cref="ScopeRequirement"/>s during validation (it reports nothing itself; the caller's
/// scopes are compared afterwards, per request). Root fields without a policy are collected with no allowed scope:
/// a new field is closed until someone decides who may use it. <c>__schema</c> and <c>__type</c> need any API scope
/// (<see cref="ScopePolicy.Introspection"/>); <c>__typename</c> and the fields below introspection need none.
/// Only the operation that will run is collected, with every fragment (NoUnusedFragments refuses unused ones).
/// </summary>
internal sealed class ScopeRequirementCollector(List<ScopeRequirement> into) : ValidationRuleBase
{
    public override ValueTask<INodeVisitor?> GetPreNodeVisitorAsync(ValidationContext context)
    {
        var path = new List<string>();
        var skipping = false;
        return new(new NodeVisitors(
            new MatchingNodeVisitor<GraphQLOperationDefinition>(
                (operation, ctx) => skipping = operation != ctx.Operation,
                (_, _) => skipping = false),
            new MatchingNodeVisitor<GraphQLField>(
                (node, ctx) =>
                {
                    path.Add((node.Alias?.Name ?? node.Name).StringValue);
                    if (!skipping)
                    {
                        Collect(node, ctx, path);
                    }
                },
                (_, _) => path.RemoveAt(path.Count - 1))));
    }

    private void Collect(GraphQLField node, ValidationContext ctx, List<string> path)
    {
        var field = ctx.TypeInfo.GetFieldDef();
        // The parent as TypeInfo tracks it may still be wrapped (a non-null list of it): the coordinate names the type.
        var parent = ctx.TypeInfo.GetParentType()?.GetNamedType();
        if (field is null || parent is null || parent.Name.StartsWith("__", StringComparison.Ordinal))
        {
            return;
        }

        var isRoot = parent == ctx.Schema.Query || parent == ctx.Schema.Mutation;
        IReadOnlyList<string>? anyOf = field.Name switch
        {
            "__typename" => null,
            "__schema" or "__type" => ScopePolicy.Introspection,
            _ => field.RequiredScopes() ?? (isRoot ? [] : null),
        };
        if (anyOf is not null)
        {
            into.Add(new ScopeRequirement(parent.Name + "." + field.Name, [.. path], anyOf, field.IsSharedCatalogChange(), node));
        }
    }
}
