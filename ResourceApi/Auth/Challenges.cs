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

    /// <summary>
    /// RFC 9449 s.7.1: the challenge of a refused DPoP request (or of a bound token sent as Bearer), with the
    /// algorithms a proof may use. Descriptions are fixed texts of ours; quotes and backslashes are dropped anyway.
    /// </summary>
    public static string DPoPChallenge(string error, string description) =>
        $"{DPoP.Scheme} error=\"{Quoted(error)}\", error_description=\"{Quoted(description)}\", " +
        $"algs=\"{string.Join(' ', DPoP.SigningAlgorithms)}\"";

    /// <summary>JwtBearer's OnChallenge: replaces its default so the header is exactly one of ours.</summary>
    public static async Task WriteBearerChallengeAsync(JwtBearerChallengeContext context)
    {
        context.HandleResponse();
        var http = context.HttpContext;
        var failure = DPoPBinding.FailureOf(http);
        if (failure is null && DPoPBinding.WasPresented(http) && context.AuthenticateFailure is not null)
        {
            failure = new DPoPBinding.Failure(OAuthErrors.InvalidToken, "the access token is invalid, expired or not for this API");
        }

        if (failure is not null)
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = DPoPChallenge(failure.Error, failure.Description);
            await WriteErrorsAsync(context.Response, [new { message = failure.Description, extensions = new { code = failure.Error } }],
                http.RequestAborted);
            return;
        }

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

    private static string Quoted(string value) =>
        value.Replace("\"", "", StringComparison.Ordinal).Replace("\\", "", StringComparison.Ordinal);

    public static Task WriteErrorsAsync(HttpResponse response, IEnumerable<object> errors, CancellationToken ct)
    {
        response.ContentType = "application/json";
        NoStore.Apply(response);
        return JsonSerializer.SerializeAsync(response.Body, new { errors }, cancellationToken: ct);
    }
}
