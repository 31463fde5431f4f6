namespace Shared.Protocol;

/// <summary>RFC 6749 s.5.2, RFC 6750 s.3.1 and RFC 7009/7662 error codes: the only place these strings are written.</summary>
public static class OAuthErrors
{
    public const string InvalidRequest = "invalid_request";
    public const string InvalidClient = "invalid_client";
    public const string InvalidGrant = "invalid_grant";
    public const string UnauthorizedClient = "unauthorized_client";
    public const string UnsupportedGrantType = "unsupported_grant_type";
    public const string InvalidScope = "invalid_scope";
    public const string InvalidToken = "invalid_token";
    public const string InsufficientScope = "insufficient_scope";
    public const string AccessDenied = "access_denied";
    public const string UnsupportedResponseType = "unsupported_response_type";
    public const string ServerError = "server_error";
    public const string TemporarilyUnavailable = "temporarily_unavailable";
    public const string LoginRequired = "login_required";
    public const string UnsupportedTokenType = "unsupported_token_type";
    public const string SlowDown = "slow_down";

    /// <summary>RFC 8707 s.2: the requested resource is not one the client may obtain a token for.</summary>
    public const string InvalidTarget = "invalid_target";

    /// <summary>OIDC Core s.3.1.2.6: request objects (JAR) and request_uri are not supported.</summary>
    public const string RequestNotSupported = "request_not_supported";
    public const string RequestUriNotSupported = "request_uri_not_supported";
}
