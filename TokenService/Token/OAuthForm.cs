using Shared.Protocol;

namespace TokenService.Token;

/// <summary>
/// The one reader of OAuth form parameters, for the token, revocation and introspection endpoints (RFC 6749 s.3.2,
/// RFC 7009 s.2.1, RFC 7662 s.2.1): parameters sent without a value count as omitted, none may appear more than once
/// (RFC 6749 s.3.1), none may be longer than any legitimate value or hold a NUL. Unknown parameters are ignored.
/// </summary>
public static class OAuthForm
{
    /// <summary>No legitimate parameter value is longer; longer ones are refused before any work.</summary>
    public const int MaxValueLength = 4096;

    /// <summary>The values of <paramref name="names"/> that are present, or the first rule broken.</summary>
    public static (IReadOnlyDictionary<string, string>? Values, OAuthError? Error) Read(IFormCollection form, IReadOnlyList<string> names)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            var given = form[name];
            if (given.Count > 1)
            {
                return (null, OAuthError.InvalidRequest($"parameter {name} is repeated"));
            }

            if (given.Count == 1 && given[0]!.Length > MaxValueLength)
            {
                return (null, OAuthError.InvalidRequest($"parameter {name} is too long"));
            }

            if (given.Count == 1 && given[0]!.Contains('\0', StringComparison.Ordinal))
            {
                return (null, OAuthError.InvalidRequest($"parameter {name} contains a NUL character"));
            }

            if (given.Count == 1 && given[0]!.Length > 0)
            {
                values[name] = given[0]!;
            }
        }

        return (values, null);
    }
}

/// <summary>
/// RFC 6749 s.2.3.1: the client credentials a form may carry (client_secret_post, or client_id alone for a public
/// client); ClientAuthentication weighs them against an Authorization header.
/// </summary>
public sealed record FormCredentials(string? ClientId, string? ClientSecret)
{
    /// <summary>RFC 7523 s.2.2 (token endpoint only): client_assertion_type and client_assertion.</summary>
    public string? ClientAssertionType { get; init; }
    public string? ClientAssertion { get; init; }

    public bool HasAssertion => ClientAssertionType is not null || ClientAssertion is not null;

    public static readonly string[] Names = [Parameters.ClientId, Parameters.ClientSecret];

    public static FormCredentials From(IReadOnlyDictionary<string, string> values) =>
        new(values.GetValueOrDefault(Parameters.ClientId), values.GetValueOrDefault(Parameters.ClientSecret));
}
