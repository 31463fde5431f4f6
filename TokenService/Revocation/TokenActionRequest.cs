using Shared.Protocol;
using TokenService.Applications;
using TokenService.Token;

namespace TokenService.Revocation;

/// <summary>
/// The shared front half of RFC 7009 revocation and RFC 7662 introspection: a form POST with <c>token</c> and an
/// optional <c>token_type_hint</c>, made by an authenticated client (the same methods as the token endpoint).
/// </summary>
public sealed record TokenActionRequest(Application Client, string Token, string? TokenTypeHint)
{
    private static readonly string[] Known = [Parameters.Token, Parameters.TokenTypeHint, Parameters.ClientId, Parameters.ClientSecret];

    /// <summary>The hint only orders the lookups (RFC 7009 s.2.1: an unknown hint is ignored, not an error).</summary>
    public bool RefreshTokenFirst => TokenTypeHint == Parameters.RefreshToken;

    public static async Task<(TokenActionRequest? Request, OAuthError? Error)> ReadAsync(
        HttpContext context, ClientAuthentication authentication, CancellationToken ct)
    {
        var (form, formError) = await TokenEndpoint.ReadFormAsync(context, ct);
        if (formError is not null)
        {
            return (null, formError);
        }

        foreach (var name in Known)
        {
            var values = form![name];
            if (values.Count > 1)
            {
                return (null, OAuthError.InvalidRequest($"parameter {name} is repeated"));
            }

            if (values.Count == 1 && (values[0]!.Length > TokenRequest.MaxValueLength || values[0]!.Contains('\0', StringComparison.Ordinal)))
            {
                return (null, OAuthError.InvalidRequest($"parameter {name} is too long or contains a NUL character"));
            }
        }

        var credentials = new TokenRequest { GrantType = "", ClientId = Value(form!, Parameters.ClientId), ClientSecret = Value(form!, Parameters.ClientSecret) };
        var (client, authError) = await authentication.AuthenticateAsync(context.Request, credentials, ct);
        if (authError is not null)
        {
            return (null, authError);
        }

        return Value(form!, Parameters.Token) is { } token
            ? (new TokenActionRequest(client!, token, Value(form!, Parameters.TokenTypeHint)), null)
            : (null, OAuthError.InvalidRequest("token is required"));
    }

    private static string? Value(IFormCollection form, string name) =>
        form.TryGetValue(name, out var v) && v.Count == 1 && !string.IsNullOrEmpty(v[0]) ? v[0] : null;
}
