using Microsoft.Extensions.Options;
using Shared.Protocol;
using TokenService.Token;

namespace TokenService.Issuance;

/// <summary>
/// RFC 8707 resource indicators: the two APIs a token can be for, the management API (scope application:admin) and
/// the ResourceApi (every other API scope). An application may ask for a resource when it holds a scope that API
/// serves; without <c>resource</c> the token names every API its scopes serve (RFC 8707 s.2: the server's default),
/// with it only that one, and scopes the resource does not serve are left out when the scope was not named (or
/// refused when it was: s.2.2 invalid_scope). A management token is refused by the ResourceApi and the other way round.
/// </summary>
public sealed class Audiences(IOptions<TokenServiceOptions> options)
{
    public string ResourceApi => options.Value.Audience;

    public string Management => options.Value.ManagementAudienceOrIssuer;

    /// <summary>Every audience a token of ours may carry; /userinfo and introspection accept any of them.</summary>
    public string[] All => [ResourceApi, Management];

    /// <summary>The resources an application may name: what its scopes serve (discovery lists both).</summary>
    public string[] For(IEnumerable<string> applicationScopes)
    {
        var scopes = applicationScopes.ToArray();
        return All.Where(a => scopes.Any(s => Serves(a, s))).ToArray();
    }

    /// <summary>
    /// The token's audiences and its scopes narrowed to them. <paramref name="scopeNamed"/>: the caller listed the
    /// scopes itself, so a scope the resource does not serve is an error rather than silently dropped.
    /// </summary>
    public (string[]? Audiences, string[]? Scopes, OAuthError? Error) Select(string? resource, string[] scopes, bool scopeNamed)
    {
        if (resource is null)
        {
            var audiences = All.Where(a => scopes.Any(s => Serves(a, s) && !Scopes.IsUserScope(s))).ToArray();
            // Only OpenID scopes (a token for /userinfo): the default API, as before resource indicators.
            return (audiences.Length > 0 ? audiences : [ResourceApi], scopes, null);
        }

        if (!All.Contains(resource, StringComparer.Ordinal))
        {
            return (null, null, OAuthError.InvalidTarget($"resource '{OAuthError.Truncate(resource)}' is not an API of this server"));
        }

        var foreign = scopes.Where(s => !Scopes.IsUserScope(s) && !Serves(resource, s)).ToArray();
        if (foreign.Length > 0 && scopeNamed)
        {
            return (null, null,
                OAuthError.InvalidScope(
                $"scope {foreign[0]} is not served by resource '{OAuthError.Truncate(resource)}' (RFC 8707 s.2.2)"));
        }

        var kept = scopes.Except(foreign, StringComparer.Ordinal).ToArray();
        return kept.Any(s => !Scopes.IsUserScope(s)) || resource == ResourceApi
            ? ([resource], kept, null)
            : (null, null,
                OAuthError.InvalidTarget($"this application holds no scope that resource '{OAuthError.Truncate(resource)}' serves"));
    }

    private bool Serves(string audience, string scope) =>
        Scopes.IsUserScope(scope) || (audience == Management ? scope == Scopes.ApplicationAdmin : scope != Scopes.ApplicationAdmin);
}
