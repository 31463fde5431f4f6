using System.Text;
using GraphQL;
using GraphQL.Execution;
using GraphQL.SystemTextJson;
using GraphQL.Transport;
using GraphQL.Validation;
using GraphQL.Validation.Complexity;
using GraphQL.Validation.Rules.Custom;
using Microsoft.Extensions.Options;
using Npgsql;
using ResourceApi.Auth;
using ResourceApi.Data;

namespace ResourceApi.Graph;

/// <summary>
/// POST /graphql (JSON body) and GET /graphql (queries only, parameters in the query string), per GraphQL over HTTP.
/// Authentication is required on the route; scopes are checked by <see cref="ScopeValidationRule"/> during
/// validation. Outcomes: 200 executed; 400 malformed request or invalid document; 403 a field its token may not
/// select; 405 a mutation over GET; 413 body too large. Caller mistakes never become 500.
/// </summary>
internal static partial class GraphQLEndpoint
{
    public const string Path = "/graphql";

    public static IServiceCollection AddResourceGraphQL(this IServiceCollection services)
    {
        services.AddSingleton<ResourceSchema>();
        services.AddSingleton<IDocumentExecuter, DocumentExecuter>();
        services.AddSingleton<GraphQLSerializer>();
        return services;
    }

    public static IEndpointRouteBuilder MapGraphQL(this IEndpointRouteBuilder app)
    {
        app.MapPost(Path, PostAsync).RequireAuthorization();
        app.MapGet(Path, GetAsync).RequireAuthorization();
        return app;
    }

    public static async Task PostAsync(HttpContext context, GraphQLSerializer serializer, IOptions<ResourceApiOptions> options)
    {
        var ct = context.RequestAborted;
        var limit = options.Value.MaxRequestBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            await WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, $"the request body exceeds {limit} bytes", ct);
            return;
        }

        if (context.Request.ContentType is not { } contentType || !contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, "send the request as Content-Type: application/json", ct);
            return;
        }

        var body = await ReadBodyAsync(context.Request, limit, ct);
        if (body is null)
        {
            await WriteErrorAsync(context, StatusCodes.Status413PayloadTooLarge, $"the request body exceeds {limit} bytes", ct);
            return;
        }

        GraphQLRequest? request;
        try
        {
            request = serializer.Deserialize<GraphQLRequest>(body);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or NotSupportedException or FormatException)
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, "the body is not a GraphQL request in JSON", ct);
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
                Query = query["query"].ToString(),
                OperationName = query["operationName"].ToString() is { Length: > 0 } name ? name : null,
                Variables = query["variables"].ToString() is { Length: > 0 } variables ? serializer.Deserialize<Inputs>(variables) : null,
            };
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or NotSupportedException or FormatException)
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, "variables is not a JSON object", context.RequestAborted);
            return;
        }

        await ExecuteAsync(context, request, queriesOnly: true);
    }

    private static async Task ExecuteAsync(HttpContext context, GraphQLRequest? request, bool queriesOnly)
    {
        var ct = context.RequestAborted;
        if (request?.Query is not { Length: > 0 })
        {
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, "the request has no query", ct);
            return;
        }

        var services = context.RequestServices;
        var settings = services.GetRequiredService<IOptions<ResourceApiOptions>>().Value;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(GraphQLEndpoint));
        var complexity = new ComplexityValidationRule(new ComplexityOptions { MaxDepth = settings.MaxDepth, MaxComplexity = settings.MaxComplexity });
        IValidationRule[] extra = queriesOnly
            ? [ScopeValidationRule.Instance, complexity, QueriesOnlyOverGetRule.Instance]
            : [ScopeValidationRule.Instance, complexity];

        var result = await services.GetRequiredService<IDocumentExecuter>().ExecuteAsync(o =>
        {
            o.Schema = services.GetRequiredService<ResourceSchema>();
            o.Query = request.Query;
            o.OperationName = request.OperationName;
            o.Variables = request.Variables;
            o.User = context.User;
            o.RequestServices = services;
            o.CancellationToken = ct;
            o.ValidationRules = DocumentValidator.CoreRules.Concat(extra);
            o.UnhandledExceptionDelegate = failure =>
            {
                Explain(failure, logger);
                return Task.CompletedTask;
            };
        });

        var errors = result.Errors?.ToList() ?? [];
        if (!result.Executed && errors.Count > 0 && errors.All(e => e is InsufficientScopeError))
        {
            await WriteForbiddenAsync(context, errors.Cast<InsufficientScopeError>().ToList(), ct);
            return;
        }

        context.Response.StatusCode = !result.Executed
            ? errors.Any(e => e is MutationOverGetError) ? StatusCodes.Status405MethodNotAllowed : StatusCodes.Status400BadRequest
            : StatusCodes.Status200OK;
        if (context.Response.StatusCode == StatusCodes.Status405MethodNotAllowed)
        {
            context.Response.Headers.Allow = "POST";
        }

        context.Response.ContentType = "application/json";
        await services.GetRequiredService<GraphQLSerializer>().WriteAsync(context.Response.Body, result, ct);
    }

    /// <summary>RFC 6750 s.3.1 insufficient_scope, naming every refused field and the scopes each needs.</summary>
    private static Task WriteForbiddenAsync(HttpContext context, IReadOnlyList<InsufficientScopeError> refused, CancellationToken ct)
    {
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        context.Response.Headers.WWWAuthenticate = Challenges.InsufficientScope(refused.SelectMany(e => e.RequiredScopes).Distinct(StringComparer.Ordinal));
        return Challenges.WriteErrorsAsync(context.Response, refused.Select(e => (object)new
        {
            message = e.Message,
            path = e.FieldPath,
            locations = e.Locations?.Select(l => new { line = l.Line, column = l.Column }),
            extensions = new { code = InsufficientScopeError.ErrorCode, requiredScopes = e.RequiredScopes },
        }), ct);
    }

    /// <summary>Caller mistakes keep their message; a statement timeout says so; anything else is logged, not shown.</summary>
    private static void Explain(UnhandledExceptionContext failure, ILogger logger)
    {
        switch (failure.OriginalException)
        {
            case ResourceRequestException request:
                failure.ErrorMessage = request.Message;
                break;
            case PostgresException { SqlState: PostgresErrorCodes.QueryCanceled }:
                failure.ErrorMessage = "the query took longer than the statement timeout; narrow the time range or page size";
                break;
            case OperationCanceledException:
                break;
            default:
                LogResolverFailed(logger, failure.FieldContext?.FieldDefinition.Name ?? "(document)", failure.OriginalException);
                break;
        }
    }

    /// <summary>Reads at most <paramref name="limit"/> bytes; null when the body is longer (chunked bodies have no Content-Length).</summary>
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

    private static Task WriteErrorAsync(HttpContext context, int status, string message, CancellationToken ct)
    {
        context.Response.StatusCode = status;
        return Challenges.WriteErrorsAsync(context.Response, [new { message }], ct);
    }

    [LoggerMessage(3001, LogLevel.Error, "Resolving {Field} failed")]
    private static partial void LogResolverFailed(ILogger logger, string field, Exception exception);
}
