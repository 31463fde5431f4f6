using System.Net;
using System.Text.Json;

namespace Security.Tests.Corpus;

/// <summary>What RFC 6749 s.5.2 allows a token endpoint error to look like, as one check returning the first flaw.</summary>
public static class OAuthErrorShape
{
    /// <summary>RFC 6749 s.5.2 codes, plus slow_down (RFC 8628 s.3.5) for 429 and temporarily_unavailable for 503.</summary>
    public static readonly HashSet<string> AllowedErrors = new(StringComparer.Ordinal)
    {
        "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type", "invalid_scope",
        "slow_down", "temporarily_unavailable",
    };

    /// <summary>Null when the response is a well-formed error (or a well-formed success), else what is wrong.</summary>
    public static string? Problem(HttpStatusCode status, string? contentType, string? cacheControl, bool hasRetryAfter, string body)
    {
        if ((int)status >= 500 && status != HttpStatusCode.ServiceUnavailable)
        {
            return $"status {(int)status}";
        }

        if (cacheControl is null || !cacheControl.Contains("no-store", StringComparison.Ordinal))
        {
            return "Cache-Control lacks no-store";
        }

        if (contentType is null || !contentType.StartsWith("application/json", StringComparison.Ordinal))
        {
            return $"content type {contentType}";
        }

        JsonElement root;
        try
        {
            root = JsonDocument.Parse(body).RootElement;
        }
        catch (JsonException)
        {
            return "body is not JSON";
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            return "body is not a JSON object";
        }

        if (status == HttpStatusCode.OK)
        {
            return root.TryGetProperty("access_token", out var token) && token.ValueKind == JsonValueKind.String ? null : "200 without access_token";
        }

        if (!root.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.String || !AllowedErrors.Contains(error.GetString()!))
        {
            return "error missing or not an RFC 6749 code";
        }

        if (root.TryGetProperty("error_description", out var description))
        {
            // RFC 6749 s.5.2: error_description = 1*( %x20-21 / %x23-5B / %x5D-7E ).
            if (description.ValueKind != JsonValueKind.String ||
                description.GetString()!.Any(c => c is < ' ' or > '~' or '"' or '\\'))
            {
                return "error_description is not printable ASCII without quote and backslash";
            }
        }

        if (status is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable && !hasRetryAfter)
        {
            return $"{(int)status} without Retry-After";
        }

        return (int)status is 400 or 401 or 429 or 503 ? null : $"unexpected status {(int)status} for an OAuth error";
    }
}
