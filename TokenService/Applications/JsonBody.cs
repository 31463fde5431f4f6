using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace TokenService.Applications;

/// <summary>
/// Reads a JSON request body for the management API. Malformed JSON, a wrong type or an unknown member is a 400
/// validation problem naming the field (RFC 9457), never a 500 and never a silently ignored typo.
/// </summary>
public static partial class JsonBody
{
    public const long MaxBytes = 64 * 1024;

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary><paramref name="emptyAs"/>: what an empty body means (null: a body is required).</summary>
    public static async Task<(T? Value, ValidationProblem? Problem)> ReadAsync<T>(HttpRequest request, T? emptyAs, CancellationToken ct)
        where T : class
    {
        if (request.ContentLength > MaxBytes)
        {
            return (null, Problem("body", $"the body must be at most {MaxBytes} bytes"));
        }

        if (request.ContentLength == 0 || (request.ContentLength is null && request.ContentType is null))
        {
            return emptyAs is not null ? (emptyAs, null) : (null, Problem("body", "a JSON object is required"));
        }

        if (!(request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) ?? false))
        {
            return (null, Problem("body", "the body must be application/json"));
        }

        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(request.Body, Options, ct);
            return value is not null ? (value, null) : (null, Problem("body", "a JSON object is required"));
        }
        catch (JsonException e)
        {
            // An unknown member is reported at the object's path, with its name only in the message.
            var unknown = UnmappedMember().Match(e.Message);
            var field = unknown.Success ? unknown.Groups[1].Value
                : e.Path is { Length: > 2 } path ? path.TrimStart('$', '.').Split('[', '.')[0] : "body";
            return (null, Problem(Token.OAuthError.Truncate(field), unknown.Success
                ? $"'{Token.OAuthError.Truncate(field)}' is not a known field"
                : $"'{Token.OAuthError.Truncate(field)}' has the wrong type or the body is not well-formed JSON"));
        }
        catch (Exception e) when (e is BadHttpRequestException or IOException or NotSupportedException or InvalidOperationException)
        {
            return (null, Problem("body", "the body could not be read as JSON"));
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex("JSON property '([^']{1,100})' could not be mapped")]
    private static partial System.Text.RegularExpressions.Regex UnmappedMember();

    public static ValidationProblem Problem(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });
}
