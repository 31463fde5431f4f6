using System.Text;
using GraphQL;
using GraphQL.SystemTextJson;
using GraphQL.Transport;
using GraphQL.Validation;
using GraphQLParser.AST;
using Microsoft.Extensions.Options;
using ResourceApi.Auth;
using ResourceApi.Graph.Playground;

namespace ResourceApi.Graph;

/// <summary>
/// POST /graphql (JSON body) and GET /graphql (queries only, parameters in the query string), per GraphQL over HTTP.
/// Authentication is required on the route; everything the document alone decides is cached
/// (<see cref="PreparedDocuments"/>), the token's scopes are checked against it, and the size and database cost
/// once the variables are known; only then does anything run. Outcomes: 200 executed; 400 malformed request or
/// invalid or too costly document or
/// a bad Access Policy change; 403 a field its token may not select, or an Access Policy refusal; 405 a mutation over GET; 413 body too
/// large; 503 nothing could be served (the database is unavailable). Caller mistakes never become 500.
/// </summary>
internal static partial class GraphQLEndpoint
{
    public const string Path = "/graphql";

    public static IServiceCollection AddResourceGraphQL(this IServiceCollection services)
    {
        services.AddSingleton<ResourceSchema>();
        services.AddSingleton<IDocumentExecuter, DocumentExecuter>();
        services.AddSingleton<GraphQLSerializer>();
        services.AddSingleton<PreparedDocuments>();
        services.AddSingleton<PersistedQueries>();
        services.AddGraphQLPlayground();
        return services;
    }

    public static IEndpointRouteBuilder MapGraphQL(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, PostAsync).RequireAuthorization();
        app.MapGet(Path, GetAsync).RequireAuthorization();
        app.MapGraphQLPlayground();
        return app;
    }

    public static async Task PostAsync(HttpContext context, GraphQLSerializer serializer, IOptions<ResourceApiOptions> options)
    {
        var ct = context.RequestAborted;
        var limit = options.Value.MaxRequestBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            await GraphQLResponse.WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, $"the request body exceeds {limit} bytes");
            return;
        }

        if (context.Request.ContentType is not { } contentType
            || !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            await GraphQLResponse.WriteErrorAsync(context, StatusCodes.Status400BadRequest,
                "send the request as Content-Type: application/json");
            return;
        }

        var body = await ReadBodyAsync(context.Request, limit, ct);
        if (body is null)
        {
            await GraphQLResponse.WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, $"the request body exceeds {limit} bytes");
            return;
        }

        // Batching (a JSON array of requests) would multiply every per-request limit by the batch size: refused, clearly.
        if (body.AsSpan().TrimStart().StartsWith("["))
        {
            await GraphQLResponse.WriteErrorAsync(context, StatusCodes.Status400BadRequest,
                "batched requests (a JSON array) are not supported: send one GraphQL request object per HTTP request");
            return;
        }

        GraphQLRequest? request;
        try
        {
            request = serializer.Deserialize<GraphQLRequest>(body);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or NotSupportedException
            or FormatException)
        {
            await GraphQLResponse.WriteErrorAsync(context, StatusCodes.Status400BadRequest, "the body is not a GraphQL request in JSON");
            return;
        }

        await ExecuteAsync(context, request, queriesOnly: false);
    }

    public static async Task GetAsync(HttpContext context, GraphQLSerializer serializer)
    {
        var query = context.Request.Query;
        GraphQLRequest request;
        try
        {
            request = new GraphQLRequest
            {
                Query = query["query"].ToString() is { Length: > 0 } text ? text : null,
                OperationName = query["operationName"].ToString() is { Length: > 0 } name ? name : null,
                Variables = query["variables"].ToString() is { Length: > 0 } variables ? serializer.Deserialize<Inputs>(variables) : null,
                Extensions = query["extensions"].ToString() is { Length: > 0 } extensions
                    ? serializer.Deserialize<Inputs>(extensions)
                    : null,
            };
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or NotSupportedException
            or FormatException)
        {
            await GraphQLResponse.WriteErrorAsync(context, StatusCodes.Status400BadRequest,
                "variables and extensions must be JSON objects");
            return;
        }

        await ExecuteAsync(context, request, queriesOnly: true);
    }

    private static async Task ExecuteAsync(HttpContext context, GraphQLRequest? request, bool queriesOnly)
    {
        var ct = context.RequestAborted;
        var services = context.RequestServices;
        var (query, persistedError) = services.GetRequiredService<PersistedQueries>().Resolve(request?.Query, request?.Extensions);
        if (persistedError is not null)
        {
            // Apollo clients read PersistedQueryNotFound from a 200 JSON body and resend with the query.
            await GraphQLResponse.WriteResultAsync(context, new ExecutionResult { Errors = [persistedError] },
                GraphQLResponse.RequestErrorStatus(context));
            return;
        }

        if (query is not { Length: > 0 })
        {
            await GraphQLResponse.WriteErrorAsync(context, StatusCodes.Status400BadRequest, "the request has no query");
            return;
        }

        var prepared = await services.GetRequiredService<PreparedDocuments>().GetAsync(query, request!.OperationName, services, ct);
        if (prepared.Errors.Count > 0)
        {
            await GraphQLResponse.WriteResultAsync(context, new ExecutionResult { Errors = [.. prepared.Errors] },
                StatusCodes.Status400BadRequest);
            return;
        }

        var operation = prepared.Operation!;
        if (queriesOnly && operation.Operation != OperationType.Query)
        {
            // GraphQL over HTTP s.7.1: GET is safe, so it carries queries only.
            context.Response.Headers.Allow = "POST";
            await GraphQLResponse.WriteErrorAsync(context, StatusCodes.Status405MethodNotAllowed, "mutations must be sent with POST");
            return;
        }

        var refused = ScopeRequirement.Refusals(prepared.Document!.Source, prepared.Requirements, context.User);
        if (refused.Count > 0)
        {
            await WriteForbiddenAsync(context, refused);
            return;
        }

        var settings = services.GetRequiredService<IOptions<ResourceApiOptions>>().Value;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GraphQLEndpoint));
        var result = await services.GetRequiredService<IDocumentExecuter>().ExecuteAsync(o =>
        {
            o.Schema = services.GetRequiredService<ResourceSchema>();
            o.Query = query;
            o.Document = prepared.Document;
            o.OperationName = request.OperationName;
            o.Variables = request.Variables;
            o.User = context.User;
            o.RequestServices = services;
            o.CancellationToken = ct;
            // The specification's rules ran when the document was prepared; what depends on variables runs here.
            o.ValidationRules = prepared.CostChecked ? [] : PreparedDocuments.CostRules(settings);
            o.MaxParallelExecutionCount = Math.Max(1, settings.MaxParallelResolversPerRequest);
            o.UnhandledExceptionDelegate = failure =>
            {
                ResolverFailures.Explain(failure, logger);
                return Task.CompletedTask;
            };
        });

        await GraphQLResponse.WriteResultAsync(context, result, !result.Executed
            ? StatusCodes.Status400BadRequest
            : ResolverFailures.PolicyStatus(result)
              ?? (ResolverFailures.NothingServed(result, operation) ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK));
    }

    /// <summary>RFC 6750 s.3.1 insufficient_scope, naming every refused field (coordinate and path) and the scopes each needs.</summary>
    private static Task WriteForbiddenAsync(HttpContext context, IReadOnlyList<ValidationError> refused)
    {
        var scopes = refused.OfType<InsufficientScopeError>().SelectMany(e => e.Requirement.AnyOf).Distinct(StringComparer.Ordinal)
            .ToList();
        if (scopes.Count > 0)
        {
            context.Response.Headers.WWWAuthenticate = Challenges.InsufficientScope(scopes);
        }

        return GraphQLResponse.WriteErrorsAsync(context, StatusCodes.Status403Forbidden, refused.Select(e =>
        {
            var requirement = e is InsufficientScopeError s ? s.Requirement : ((TenantScopedCatalogChangeError)e).Requirement;
            return (object)new
            {
                message = e.Message,
                path = requirement.Path,
                locations = e.Locations?.Select(l => new { line = l.Line, column = l.Column }),
                extensions = new { code = e.Code, coordinate = requirement.Coordinate, requiredScopes = requirement.AnyOf },
            };
        }));
    }

    /// <summary>Reads at most <paramref name="limit"/> bytes; null when the body is longer (chunked bodies have no
    /// Content-Length).</summary>
    private static async Task<string?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        catch (DecoderFallbackException)
        {
            return "";
        }
    }
}
