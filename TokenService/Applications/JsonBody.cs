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
        Converters = { new NoNulStrings() },
    };

    private const string NulMessage = "a string holds U+0000";

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
            if (e.Message.StartsWith(NulMessage, StringComparison.Ordinal))
            {
                var named = Token.OAuthError.Truncate(field);
                return (null, Problem(named, $"'{named}' must not contain a NUL character"));
            }

            return (null, Problem(Token.OAuthError.Truncate(field), unknown.Success
                ? $"'{Token.OAuthError.Truncate(field)}' is not a known field"
                : $"'{Token.OAuthError.Truncate(field)}' has the wrong type or the body is not well-formed JSON"));
        }
        catch (Exception e) when (e is BadHttpRequestException or IOException or NotSupportedException or InvalidOperationException)
        {
            return (null, Problem("body", "the body could not be read as JSON"));
        }
    }

    /// <summary>
    /// PostgreSQL text cannot hold U+0000, so a NUL in any string member is the caller's mistake, refused here with the
    /// field named, instead of a driver error (500) when it is stored or compared.
    /// </summary>
    private sealed class NoNulStrings : JsonConverter<string>
    {
        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                throw new JsonException();
            }

            var value = reader.GetString();
            return value is not null && value.Contains('\0', StringComparison.Ordinal) ? throw new JsonException(NulMessage) : value;
        }

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }

    [System.Text.RegularExpressions.GeneratedRegex("JSON property '([^']{1,100})' could not be mapped")]
    private static partial System.Text.RegularExpressions.Regex UnmappedMember();

    public static ValidationProblem Problem(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] });
}
