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
    private static readonly string[] Known = [Parameters.Token, Parameters.TokenTypeHint, .. FormCredentials.Names];

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

        var (values, error) = OAuthForm.Read(form!, Known);
        if (error is not null)
        {
            return (null, error);
        }

        var (client, authError) = await authentication.AuthenticateAsync(context.Request, FormCredentials.From(values!), ct);
        if (authError is not null)
        {
            return (null, authError);
        }

        return values!.GetValueOrDefault(Parameters.Token) is { } token
            ? (new TokenActionRequest(client!, token, values!.GetValueOrDefault(Parameters.TokenTypeHint)), null)
            : (null, OAuthError.InvalidRequest("token is required"));
    }
}
