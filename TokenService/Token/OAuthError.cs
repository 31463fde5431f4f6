using System.Text.Json;
using Shared.Http;
using Shared.Protocol;

namespace TokenService.Token;

/// <summary>
/// An RFC 6749 s.5.2 error as a value. Named factories keep descriptions consistent; <see cref="ExecuteAsync"/>
/// is the one place an OAuth error becomes HTTP.
/// </summary>
public sealed record OAuthError(string Error, string Description, int StatusCode = StatusCodes.Status400BadRequest) : IResult
{
    /// <summary>RFC 6749 s.5.2: a client that authenticated with Basic gets a Basic challenge on 401.</summary>
    public bool BasicChallenge { get; init; }

    /// <summary>Seconds, for 429 and 503.</summary>
    public int? RetryAfter { get; init; }

    /// <summary>RFC 9449 s.8: the nonce the next DPoP proof must carry, sent as the DPoP-Nonce header.</summary>
    public string? DPoPNonce { get; init; }

    public static OAuthError InvalidRequest(string description) => new(OAuthErrors.InvalidRequest, description);

    public static OAuthError InvalidClient(bool basic) =>
        new(OAuthErrors.InvalidClient, "client authentication failed", StatusCodes.Status401Unauthorized) { BasicChallenge = basic };

    public static OAuthError InvalidGrant(string description) => new(OAuthErrors.InvalidGrant, description);

    public static OAuthError InvalidScope(string description) => new(OAuthErrors.InvalidScope, description);

    /// <summary>RFC 6749 s.4.1.2.1: the resource owner or the server refused the request.</summary>
    public static OAuthError AccessDenied(string description) => new(OAuthErrors.AccessDenied, description);

    /// <summary>RFC 8707 s.2: the resource is unknown, or not one this client may obtain a token for.</summary>
    public static OAuthError InvalidTarget(string description) => new(OAuthErrors.InvalidTarget, description);

    /// <summary>RFC 9449 s.5: the DPoP proof is missing (the application requires one), malformed or wrong for the request.</summary>
    public static OAuthError InvalidDPoPProof(string description) => new(Shared.Protocol.DPoP.InvalidProof, description);

    /// <summary>RFC 9449 s.8: the proof must carry the server's nonce; the caller sets <see cref="DPoPNonce"/>.</summary>
    public static OAuthError UseDPoPNonce() =>
        new(Shared.Protocol.DPoP.UseNonce, "the DPoP proof must carry the nonce in the DPoP-Nonce header of this response");

    public static OAuthError UnauthorizedClient(string description) => new(OAuthErrors.UnauthorizedClient, description);

    public static OAuthError UnsupportedResponseType(string? responseType) => new(OAuthErrors.UnsupportedResponseType,
        $"response_type '{Truncate(responseType)}' is not supported; use code");

    /// <summary>OIDC Core s.3.1.2.6: prompt=none and the user is not signed in (or signed in too long ago for max_age).</summary>
    public static OAuthError LoginRequired() => new(OAuthErrors.LoginRequired, "the user must sign in");

    /// <summary>OIDC Core s.6: neither request objects nor request_uri are read here.</summary>
    public static OAuthError RequestNotSupported(bool byReference) => byReference
        ? new(OAuthErrors.RequestUriNotSupported, "request_uri is not supported")
        : new(OAuthErrors.RequestNotSupported, "request objects are not supported");

    public static OAuthError UnsupportedGrantType(string? grantType) => new(OAuthErrors.UnsupportedGrantType,
        $"grant_type '{Truncate(grantType)}' is not supported; use client_credentials, authorization_code or refresh_token");

    public static OAuthError TemporarilyUnavailable(int retryAfterSeconds = 1) =>
        new(OAuthErrors.TemporarilyUnavailable, "the service is temporarily unavailable; retry shortly", StatusCodes.Status503ServiceUnavailable)
        { RetryAfter = retryAfterSeconds };

    public static OAuthError TooManyRequests(int retryAfterSeconds) =>
        new(OAuthErrors.SlowDown, "too many requests; retry after the delay in Retry-After", StatusCodes.Status429TooManyRequests)
        { RetryAfter = retryAfterSeconds };

    /// <summary>Echo at most a little of caller input in a description, printable ASCII only.</summary>
    public static string Truncate(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return "";
        }

        var clean = new string(value.Take(40).Select(c => c is >= ' ' and <= '~' and not '"' and not '\\' ? c : '?').ToArray());
        return value.Length > 40 ? clean + "..." : clean;
    }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        NoStore.Apply(response);
        if (BasicChallenge && StatusCode == StatusCodes.Status401Unauthorized)
        {
            response.Headers.WWWAuthenticate = "Basic realm=\"token\", charset=\"UTF-8\"";
        }

        if (RetryAfter is { } seconds)
        {
            response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        if (DPoPNonce is not null)
        {
            response.Headers[Shared.Protocol.DPoP.NonceHeader] = DPoPNonce;
        }

        response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(response.Body);
        json.WriteStartObject();
        json.WriteString(Parameters.Error, Error);
        json.WriteString(Parameters.ErrorDescription, Description);
        json.WriteEndObject();
    }
}
