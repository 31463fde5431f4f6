using Microsoft.Extensions.Primitives;
using Shared.Protocol;

namespace TokenService.Token;

/// <summary>The token request's parameters, read once from the form (RFC 6749 s.3.2).</summary>
public sealed record TokenRequest
{
    /// <summary>No legitimate parameter value is longer; longer ones are refused before any work.</summary>
    public const int MaxValueLength = 4096;

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

    private static readonly string[] Known =
    [
        Parameters.GrantType, Parameters.ClientId, Parameters.ClientSecret, Parameters.Scope, Parameters.Tenant,
        Parameters.Code, Parameters.RedirectUri, Parameters.CodeVerifier, Parameters.RefreshToken, Parameters.Resource,
    ];

    /// <summary>
    /// RFC 6749 s.3.2: parameters sent without a value are treated as omitted, and none may appear more than once.
    /// Unknown parameters are ignored (s.3.2 again).
    /// </summary>
    public static (TokenRequest? Request, OAuthError? Error) Parse(IFormCollection form)
    {
        foreach (var name in Known)
        {
            var values = form[name];
            if (values.Count > 1)
            {
                return (null, OAuthError.InvalidRequest($"parameter {name} is repeated"));
            }

            if (values.Count == 1 && values[0]!.Length > MaxValueLength)
            {
                return (null, OAuthError.InvalidRequest($"parameter {name} is too long"));
            }

            if (values.Count == 1 && values[0]!.Contains('\0', StringComparison.Ordinal))
            {
                return (null, OAuthError.InvalidRequest($"parameter {name} contains a NUL character"));
            }
        }

        var grantType = Value(form, Parameters.GrantType);
        if (grantType is null)
        {
            return (null, OAuthError.InvalidRequest("grant_type is required"));
        }

        return (new TokenRequest
        {
            GrantType = grantType,
            ClientId = Value(form, Parameters.ClientId),
            ClientSecret = Value(form, Parameters.ClientSecret),
            Scope = Value(form, Parameters.Scope),
            Tenant = Value(form, Parameters.Tenant),
            Code = Value(form, Parameters.Code),
            RedirectUri = Value(form, Parameters.RedirectUri),
            CodeVerifier = Value(form, Parameters.CodeVerifier),
            RefreshToken = Value(form, Parameters.RefreshToken),
            Resource = Value(form, Parameters.Resource),
        }, null);
    }

    private static string? Value(IFormCollection form, string name) =>
        form.TryGetValue(name, out StringValues v) && v.Count == 1 && !string.IsNullOrEmpty(v[0]) ? v[0] : null;
}
