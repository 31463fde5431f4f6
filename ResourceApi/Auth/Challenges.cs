using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Shared.Http;
using Shared.Protocol;

namespace ResourceApi.Auth;

/// <summary>
/// RFC 6750 s.3 challenges, written in one place: 401 with a bare <c>Bearer</c> when no credentials were sent,
/// 401 <c>error="invalid_token"</c> when they were bad, 403 <c>error="insufficient_scope"</c> with the scopes needed.
/// Each carries a GraphQL-shaped <c>errors</c> body so clients parse one format. The header text itself is
/// Shared.Protocol.BearerChallenge's, the same writer as the TokenService's.
/// </summary>
internal static class Challenges
{
    public const string Scheme = TokenTypes.Bearer;

    public static string InvalidToken => BearerChallenge.Header(OAuthErrors.InvalidToken);

    public static string InsufficientScope(IEnumerable<string> scopes) =>
        BearerChallenge.Header(OAuthErrors.InsufficientScope, scopes: scopes);

    /// <summary>JwtBearer's OnChallenge: replaces its default so the header is exactly one of ours.</summary>
    public static async Task WriteBearerChallengeAsync(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        // RFC 6750 s.3.1: a request without credentials gets no error code at all.
        var sentCredentials = context.AuthenticateFailure is not null;
        await WriteUnauthorizedAsync(context.Response, sentCredentials,
            sentCredentials
                ? "the access token is invalid, expired or not for this API"
                : "authentication required: send a Bearer access token",
            context.HttpContext.RequestAborted);
    }

    public static Task WriteUnauthorizedAsync(HttpResponse response, bool sentCredentials, string message, CancellationToken ct)
    {
        response.StatusCode = StatusCodes.Status401Unauthorized;
        response.Headers.WWWAuthenticate = sentCredentials ? InvalidToken : BearerChallenge.Header();
        return WriteErrorsAsync(response,
            [new { message, extensions = new { code = sentCredentials ? OAuthErrors.InvalidToken : "unauthenticated" } }], ct);
    }

    public static Task WriteErrorsAsync(HttpResponse response, IEnumerable<object> errors, CancellationToken ct)
    {
        response.ContentType = "application/json";
        NoStore.Apply(response);
        return JsonSerializer.SerializeAsync(response.Body, new { errors }, cancellationToken: ct);
    }
}
