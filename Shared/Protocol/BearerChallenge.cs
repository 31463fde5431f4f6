using Microsoft.AspNetCore.Http;

namespace Shared.Protocol;

/// <summary>
/// RFC 6750 s.3: the one writer of <c>WWW-Authenticate: Bearer</c> challenges, for the TokenService's /userinfo and
/// management API and for the ResourceApi. A request without credentials gets a bare <c>Bearer</c> (s.3.1: no error
/// code); a refused token gets <c>invalid_token</c> (401); a token lacking a scope gets <c>insufficient_scope</c> (403)
/// with the scopes that would do. Descriptions are fixed texts of ours, never a validator's message that could quote
/// claims; quotes and backslashes are dropped so a value can never break out of its quoted-string (RFC 9110 s.11.2).
/// </summary>
public static class BearerChallenge
{
    public static string Header(string? error = null, string? description = null, IEnumerable<string>? scopes = null)
    {
        if (error is null)
        {
            return TokenTypes.Bearer;
        }

        var header = $"{TokenTypes.Bearer} error=\"{Quoted(error)}\"";
        if (description is not null)
        {
            header += $", error_description=\"{Quoted(description)}\"";
        }

        if (scopes is not null)
        {
            header += $", scope=\"{Quoted(string.Join(' ', scopes))}\"";
        }

        return header;
    }

    /// <summary>Sets status and header: 401 without an error or with invalid_token, 403 for insufficient_scope.</summary>
    public static void Write(HttpResponse response, string? error = null, string? description = null, IEnumerable<string>? scopes = null)
    {
        response.StatusCode = error == OAuthErrors.InsufficientScope ? StatusCodes.Status403Forbidden : StatusCodes.Status401Unauthorized;
        response.Headers.WWWAuthenticate = Header(error, description, scopes);
    }

    private static string Quoted(string value) =>
        value.Replace("\"", "", StringComparison.Ordinal).Replace("\\", "", StringComparison.Ordinal);
}
