using System.Text.Json;
using GraphQL;
using GraphQL.SystemTextJson;
using Microsoft.Net.Http.Headers;

namespace ResourceApi.Graph;

/// <summary>
/// GraphQL over HTTP s.6.4 media types: <c>application/graphql-response+json</c> when the client accepts it, with the
/// specification's status codes (4xx for a request error, 2xx once execution started), and <c>application/json</c>
/// otherwise, with the status codes this API always used (which agree except that 4xx is used for request errors
/// under both). Every answer is <c>no-store</c>: it depends on the token.
/// </summary>
internal static class GraphQLResponse
{
    public const string GraphQLResponseJson = "application/graphql-response+json";

    public static bool AcceptsGraphQLResponse(HttpRequest request) =>
        request.GetTypedHeaders()
            .Accept.Any(a => a.MediaType.Equals(GraphQLResponseJson, StringComparison.OrdinalIgnoreCase) && a.Quality is not 0);

    /// <summary>The status of a request error that legacy JSON clients expect as 200 (Apollo's PersistedQueryNotFound).</summary>
    public static int RequestErrorStatus(HttpContext context) =>
        AcceptsGraphQLResponse(context.Request) ? StatusCodes.Status400BadRequest : StatusCodes.Status200OK;

    public static Task WriteResultAsync(HttpContext context, ExecutionResult result, int status)
    {
        Prepare(context, status);
        return context.RequestServices.GetRequiredService<GraphQLSerializer>()
            .WriteAsync(context.Response.Body, result, context.RequestAborted);
    }

    public static Task WriteErrorAsync(HttpContext context, int status, string message) =>
        WriteErrorsAsync(context, status, [new { message }]);

    public static Task WriteErrorsAsync(HttpContext context, int status, IEnumerable<object> errors)
    {
        Prepare(context, status);
        return JsonSerializer.SerializeAsync(context.Response.Body, new { errors }, cancellationToken: context.RequestAborted);
    }

    private static void Prepare(HttpContext context, int status)
    {
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = AcceptsGraphQLResponse(context.Request)
            ? GraphQLResponseJson + "; charset=utf-8"
            : "application/json; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        response.Headers.Vary = HeaderNames.Accept;
        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            response.Headers.RetryAfter = "1";
        }
    }
}
