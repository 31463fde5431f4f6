using Shared.Protocol;

namespace TokenService.Token;

/// <summary>The token request's parameters, read once from the form (RFC 6749 s.3.2).</summary>
public sealed record TokenRequest
{
    /// <summary>No legitimate parameter value is longer; longer ones are refused before any work.</summary>
    public const int MaxValueLength = OAuthForm.MaxValueLength;

    public required string GrantType { get; init; }
    public string? ClientId { get; init; }
    public string? ClientSecret { get; init; }
    public string? Scope { get; init; }
    public string? Tenant { get; init; }
    public string? Code { get; init; }
    public string? RedirectUri { get; init; }
    public string? CodeVerifier { get; init; }
    public string? RefreshToken { get; init; }

    /// <summary>RFC 8707 s.2: the API the token is for (one per request here).</summary>
    public string? Resource { get; init; }

    /// <summary>Access Policy values, a JSON object of strings (issue 15; see PolicyValuesParameter).</summary>
    public string? PolicyValues { get; init; }

    private static readonly string[] Known =
    [
        Parameters.GrantType, Parameters.ClientId, Parameters.ClientSecret, Parameters.Scope, Parameters.Tenant,
        Parameters.Code, Parameters.RedirectUri, Parameters.CodeVerifier, Parameters.RefreshToken, Parameters.Resource,
        Parameters.PolicyValues,
        Parameters.ClientAssertionType, Parameters.ClientAssertion, Parameters.SubjectToken, Parameters.SubjectTokenType,
    ];

    /// <summary>The client credentials sent in the body, for ClientAuthentication.</summary>
    public FormCredentials Credentials => new(ClientId, ClientSecret)
    {
        ClientAssertionType = ClientAssertionType, ClientAssertion = ClientAssertion,
    };

    /// <summary>RFC 7523 s.2.2: private_key_jwt client authentication.</summary>
    public string? ClientAssertionType { get; init; }
    public string? ClientAssertion { get; init; }

    /// <summary>RFC 8693 s.2.1: the token exchanged, and its type.</summary>
    public string? SubjectToken { get; init; }
    public string? SubjectTokenType { get; init; }

    /// <summary>
    /// RFC 9449 s.5: the thumbprint of the key a valid DPoP proof of this request was made with (not a form parameter:
    /// set by the token endpoint after it checked the proof). The grant binds its tokens to it.
    /// </summary>
    public string? DPoPJkt { get; init; }

    /// <summary>RFC 6749 s.3.2, by the one form reader (OAuthForm); grant_type is required.</summary>
    public static (TokenRequest? Request, OAuthError? Error) Parse(IFormCollection form)
    {
        var (values, error) = OAuthForm.Read(form, Known);
        if (error is not null)
        {
            return (null, error);
        }

        if (values is null || values.GetValueOrDefault(Parameters.GrantType) is not { } grantType)
        {
            return (null, OAuthError.InvalidRequest("grant_type is required"));
        }

        return (new TokenRequest
        {
            GrantType = grantType,
            ClientId = values.GetValueOrDefault(Parameters.ClientId),
            ClientSecret = values.GetValueOrDefault(Parameters.ClientSecret),
            Scope = values.GetValueOrDefault(Parameters.Scope),
            Tenant = values.GetValueOrDefault(Parameters.Tenant),
            Code = values.GetValueOrDefault(Parameters.Code),
            RedirectUri = values.GetValueOrDefault(Parameters.RedirectUri),
            CodeVerifier = values.GetValueOrDefault(Parameters.CodeVerifier),
            RefreshToken = values.GetValueOrDefault(Parameters.RefreshToken),
            Resource = values.GetValueOrDefault(Parameters.Resource),
            PolicyValues = values.GetValueOrDefault(Parameters.PolicyValues),
            ClientAssertionType = values.GetValueOrDefault(Parameters.ClientAssertionType),
            ClientAssertion = values.GetValueOrDefault(Parameters.ClientAssertion),
            SubjectToken = values.GetValueOrDefault(Parameters.SubjectToken),
            SubjectTokenType = values.GetValueOrDefault(Parameters.SubjectTokenType),
        }, null);
    }
}
