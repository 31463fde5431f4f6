using GraphQL.Builders;
using GraphQL.Types;
using GraphQL.Validation;
using GraphQL.Validation.Complexity;
using GraphQL.Validation.Errors.Custom;
using GraphQL.Validation.Rules.Custom;

namespace ResourceApi.Graph;

/// <summary>
/// What a document costs, checked after its variables are known and before anything runs (400 when over):
/// <list type="bullet">
/// <item>Size and depth (<see cref="SizeAndDepthRule"/>): graphql-dotnet's complexity, except that introspection
/// fields count 1 each without the default list multiplier of 20 (<c>__schema.types</c> still counts once per type),
/// and an operation of introspection alone has its own, larger bounds, so the standard introspection query of every
/// GraphQL tool fits (graphql-dotnet issue 3171) while repeating it by aliases still does not.</item>
/// <item>Database work (<see cref="DatabaseBudgetRule"/>): each resolver that reaches PostgreSQL declares how many
/// statements it runs (<see cref="CostsDatabase"/>), multiplied by how many times it can run (the page sizes around
/// it). A request may cost at most <see cref="ResourceApiOptions.MaxDataFieldsPerRequest"/>, so one request cannot take the
/// connection pool: 1,000 aliases of <c>counter</c> are refused, not run.</item>
/// </list>
/// </summary>
internal static class QueryCost
{
    public const string WeightKey = "ResourceApi.DatabaseStatements";

    private static readonly Func<FieldImpactContext, FieldComplexityResult> LibraryDefault = new ComplexityOptions()
        .DefaultComplexityImpactDelegate;

    /// <summary>The field runs up to <paramref name="statements"/> database statements each time it resolves.</summary>
    public static FieldBuilder<TSource, TReturn> CostsDatabase<TSource, TReturn>(this FieldBuilder<TSource, TReturn> field, int statements)
    {
        field.FieldType.Metadata[WeightKey] = statements;
        return field;
    }

    public static int DatabaseStatements(this FieldType field) => field.Metadata.TryGetValue(WeightKey, out var w) && w is int n ? n : 0;

    public static bool IsIntrospection(FieldImpactContext c) =>
        c.FieldDefinition.Name.StartsWith("__", StringComparison.Ordinal) || c.ParentType.Name.StartsWith("__", StringComparison.Ordinal);

    /// <summary>The field's size impact: introspection 1 (no multiplier: its lists are the schema, small and fixed), others as the library
    /// counts.</summary>
    public static FieldComplexityResult SizeImpact(FieldImpactContext c) => IsIntrospection(c) ? new(1, 1) : LibraryDefault(c);

    /// <summary>The field's database impact: its statements, times the page sizes the library infers for lists around it.</summary>
    public static FieldComplexityResult DatabaseImpact(FieldImpactContext c) =>
        IsIntrospection(c) ? new(0, 0) : new(c.FieldDefinition.DatabaseStatements(), LibraryDefault(c).ChildImpactMultiplier);
}

/// <summary>Size and depth; an operation whose root fields are all introspection may nest to the introspection depth.</summary>
internal sealed class SizeAndDepthRule(ResourceApiOptions settings)
    : ComplexityValidationRule(new ComplexityOptions { DefaultComplexityImpactDelegate = QueryCost.SizeImpact })
{
    protected override ValueTask ValidateComplexityAsync(ValidationContext context, double totalComplexity, int maxDepth)
    {
        var introspectionOnly = context.Operation.SelectionSet.Selections.All(s =>
            s is GraphQLParser.AST.GraphQLField f && f.Name.StringValue.StartsWith("__", StringComparison.Ordinal));
        var depthLimit = introspectionOnly ? Math.Max(settings.MaxDepth, settings.MaxIntrospectionDepth) : settings.MaxDepth;
        var sizeLimit = introspectionOnly ? Math.Max(settings.MaxComplexity, settings.MaxIntrospectionComplexity) : settings.MaxComplexity;
        if (totalComplexity > sizeLimit)
        {
            context.ReportError(new ComplexityError(
                $"Query is too complex to execute. Complexity is {totalComplexity}; maximum allowed on this endpoint is {sizeLimit}."));
        }

        if (maxDepth > depthLimit)
        {
            context.ReportError(new ComplexityError(
                $"Query is too nested to execute. Its depth is {maxDepth} levels; maximum allowed on this endpoint is {depthLimit}."));
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>The per-request cap on database work (issue 12 point 5).</summary>
internal sealed class DatabaseBudgetRule(ResourceApiOptions settings)
    : ComplexityValidationRule(new ComplexityOptions { DefaultComplexityImpactDelegate = QueryCost.DatabaseImpact })
{
    public const string ErrorCode = "DATABASE_BUDGET_EXCEEDED";

    protected override ValueTask ValidateComplexityAsync(ValidationContext context, double totalComplexity, int maxDepth)
    {
        if (totalComplexity > settings.MaxDataFieldsPerRequest)
        {
            context.ReportError(new ComplexityError(
                $"This request would run up to {totalComplexity:0} database statements (each data field costs what it runs, " +
                $"times the page sizes around it); at most {settings.MaxDataFieldsPerRequest} are allowed per request. " +
                "Split it into several requests, or ask for smaller pages.")
            { Code = ErrorCode });
        }

        return ValueTask.CompletedTask;
    }
}
