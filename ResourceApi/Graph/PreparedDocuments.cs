using GraphQL;
using GraphQL.Execution;
using GraphQL.Instrumentation;
using GraphQL.Types;
using GraphQL.Validation;
using GraphQLParser.AST;
using Microsoft.Extensions.Options;
using Shared.Caching;

namespace ResourceApi.Graph;

/// <summary>
/// A document as far as it can be checked without the caller: parsed, its operation chosen, validated by the
/// specification's rules, and the scope each field needs. Nothing here depends on the token or the variables, so
/// it is shared by every request with the same text; a non-empty <see cref="Errors"/> is the answer itself.
/// </summary>
internal sealed record PreparedDocument(
    GraphQLDocument? Document,
    GraphQLOperationDefinition? Operation,
    IReadOnlyList<ExecutionError> Errors,
    IReadOnlyList<ScopeRequirement> Requirements,
    bool CostChecked)
{
    public static PreparedDocument Invalid(ExecutionError error) => new(null, null, [error], [], true);
}

/// <summary>
/// The parsed-and-validated document cache (issue 14 point 5): keyed by schema, query text and operation name, and
/// bounded by the characters of query text it holds (the memory a document's syntax tree takes grows with its
/// text). Parsing and the ~25 specification rules are most of a small request's CPU; a hit skips both. What does
/// depend on the request is checked every time by the caller: scopes against the token, then the size and
/// database cost once the variables are known.
/// </summary>
internal sealed class PreparedDocuments
{
    private readonly ISchema schema;
    private readonly IDocumentBuilder parser = new GraphQLDocumentBuilder();
    private readonly IDocumentValidator validator = new DocumentValidator();
    private readonly BoundedCache<Key, PreparedDocument> cache;

    private readonly ResourceApiOptions settings;

    public PreparedDocuments(ResourceSchema schema, IOptions<ResourceApiOptions> options, TimeProvider time)
    {
        this.schema = schema;
        settings = options.Value;
        cache = new BoundedCache<Key, PreparedDocument>(options.Value.DocumentCacheCharacters, time,
            (key, _) => key.Query.Length + (key.OperationName?.Length ?? 0));
    }

    public long Hits => cache.Hits;

    public long Misses => cache.Misses;

    public async ValueTask<PreparedDocument> GetAsync(string query, string? operationName, IServiceProvider services, CancellationToken ct)
    {
        var key = new Key(schema, query, operationName);
        if (cache.TryGet(key, out var known))
        {
            return known;
        }

        var prepared = await PrepareAsync(query, operationName, services, ct);
        cache.Set(key, prepared);
        return prepared;
    }

    private async Task<PreparedDocument> PrepareAsync(string query, string? operationName, IServiceProvider services, CancellationToken ct)
    {
        GraphQLDocument document;
        GraphQLOperationDefinition operation;
        try
        {
            schema.Initialize();
            document = parser.Build(query);
            operation = SelectOperation(document, operationName);
        }
        catch (ExecutionError error)
        {
            return PreparedDocument.Invalid(error);
        }
        catch (GraphQLParser.Exceptions.GraphQLMaxDepthExceededException)
        {
            // The parser's own guard against stack exhaustion (not a syntax error, so graphql-dotnet does not wrap it).
            return PreparedDocument.Invalid(
                new ExecutionError("the document nests deeper than the parser allows") { Code = "SYNTAX_ERROR" });
        }

        // Before the specification's rules, whose cost grows faster than the document (field merging compares
        // fields pairwise): a 1,000-alias document is refused for its size alone, in one linear walk.
        var fields = CountFields(document);
        if (fields > settings.MaxFieldsPerDocument)
        {
            return PreparedDocument.Invalid(new ExecutionError(
                $"the document is too complex: it selects {fields} fields (aliases count, fragments once); " +
                $"at most {settings.MaxFieldsPerDocument} are allowed per request")
            { Code = "TOO_MANY_FIELDS" });
        }

        // An operation without variables has a fixed cost too: checked here once, not on every request.
        var costIsStatic = operation.Variables is not { Items.Count: > 0 };
        var requirements = new List<ScopeRequirement>();
        var result = await validator.ValidateAsync(new ValidationOptions
        {
            Schema = schema,
            Document = document,
            Operation = operation,
            Rules = costIsStatic
                ? [.. DocumentValidator.CoreRules, new ScopeRequirementCollector(requirements), .. CostRules(settings)]
                : [.. DocumentValidator.CoreRules, new ScopeRequirementCollector(requirements)],
            UserContext = new Dictionary<string, object?>(),
            Metrics = Metrics.None,
            Variables = Inputs.Empty,
            Extensions = Inputs.Empty,
            RequestServices = services,
            CancellationToken = ct,
        });

        // Variables are the request's: checked when it runs. Everything else the rules found is the document's own.
        var errors = result.Errors.Where(e => e is not InvalidVariableError).ToList<ExecutionError>();
        return new PreparedDocument(document, operation, errors, errors.Count == 0 ? requirements : [], costIsStatic);
    }

    /// <summary>What depends on the variables: size and depth, then the database budget (<see cref="QueryCost"/>).</summary>
    public static IValidationRule[] CostRules(ResourceApiOptions settings) =>
        [new SizeAndDepthRule(settings), new DatabaseBudgetRule(settings)];

    /// <summary>GraphQL spec s.6.1 GetOperation: the named one, or the only one.</summary>
    private static GraphQLOperationDefinition SelectOperation(GraphQLDocument document, string? operationName)
    {
        var operations = document.Definitions.OfType<GraphQLOperationDefinition>().ToList();
        if (string.IsNullOrEmpty(operationName))
        {
            return operations.Count switch
            {
                0 => throw new NoOperationError(),
                1 => operations[0],
                _ => throw new NoOperationNameError(),
            };
        }

        return operations.FirstOrDefault(o => o.Name is { } name && name.StringValue == operationName)
            ?? throw new InvalidOperationNameError(operationName);
    }

    private static int CountFields(GraphQLDocument document)
    {
        var count = 0;
        var pending = new Stack<GraphQLSelectionSet>(document.Definitions.OfType<IHasSelectionSetNode>().Select(d => d.SelectionSet!)
            .Where(s => s is not null));
        while (pending.TryPop(out var set))
        {
            foreach (var selection in set.Selections)
            {
                count += selection is GraphQLField ? 1 : 0;
                if (selection is IHasSelectionSetNode { SelectionSet: { } inner })
                {
                    pending.Push(inner);
                }
            }
        }

        return count;
    }

    private sealed record Key(ISchema Schema, string Query, string? OperationName);
}
