namespace Shared.Protocol;

/// <summary>Form and query parameter names of RFC 6749, RFC 7636, RFC 7009, RFC 7662 and OIDC Core.</summary>
public static class Parameters
{
    public const string GrantType = "grant_type";
    public const string ClientId = "client_id";
    public const string ClientSecret = "client_secret";
    public const string Scope = "scope";
    public const string Tenant = "tenant";
    public const string PolicyValues = "policy_values";

    /// <summary>RFC 8707: the resource (audience) the token is for, on the authorize and token requests.</summary>
    public const string Resource = "resource";
    /// <summary>RFC 7523 s.2.2: JWT client authentication (private_key_jwt).</summary>
    public const string ClientAssertionType = "client_assertion_type";
    public const string ClientAssertion = "client_assertion";
    /// <summary>RFC 8693 s.2.1: token exchange.</summary>
    public const string SubjectToken = "subject_token";
    public const string SubjectTokenType = "subject_token_type";
    public const string Code = "code";
    public const string RedirectUri = "redirect_uri";
    public const string CodeVerifier = "code_verifier";
    public const string CodeChallenge = "code_challenge";
    public const string CodeChallengeMethod = "code_challenge_method";
    public const string RefreshToken = "refresh_token";
    public const string ResponseType = "response_type";
    public const string State = "state";
    public const string Nonce = "nonce";
    public const string Prompt = "prompt";
    public const string MaxAge = "max_age";
    public const string Request = "request";
    public const string RequestUri = "request_uri";
    public const string Token = "token";
    public const string TokenTypeHint = "token_type_hint";
    public const string Error = "error";
    public const string ErrorDescription = "error_description";
    public const string Iss = "iss";
    public const string AccessToken = "access_token";

    /// <summary>The login form's fields (CONTRACT.md, "Login page").</summary>
    public const string Username = "username";
    public const string Password = "password";
}
