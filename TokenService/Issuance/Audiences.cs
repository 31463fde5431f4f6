using Microsoft.Extensions.Options;
using Shared.Protocol;
using TokenService.Applications;
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
    /// An application's <c>audiences</c> as the management API and the CLI give them: null (every API its scopes serve),
    /// or 1 to <see cref="All"/>.Length distinct APIs of this server, or an error naming the field.
    /// </summary>
    public (string[]? Audiences, ValidationError? Error) ValidateAllowed(IEnumerable<string>? requested)
    {
        if (requested is null)
        {
            return (null, null);
        }

        var list = requested.Select(a => a?.Trim() ?? "").Distinct(StringComparer.Ordinal).ToArray();
        if (list.Length == 0)
        {
            return (null,
                new ValidationError("audiences", "audiences: name at least one resource, or null for every API its scopes serve"));
        }

        return list.FirstOrDefault(a => !All.Contains(a, StringComparer.Ordinal)) is { } unknown
            ? (null, new ValidationError("audiences",
                $"audiences: '{OAuthError.Truncate(unknown)}' is not an API of this server; its APIs are: {string.Join(", ", All)}"))
            : (list, null);
    }

    /// <summary>
    /// The token's audiences and its scopes narrowed to them, within what <paramref name="application"/> may request
    /// (its <c>audiences</c>; null: any API of this server). <paramref name="scopeNamed"/>: the caller listed the
    /// scopes itself, so a scope the resource does not serve is an error rather than silently dropped.
    /// </summary>
    public (string[]? Audiences, string[]? Scopes, OAuthError? Error) Select(Application application, string? resource, string[] scopes,
        bool scopeNamed)
    {
        if (application.Audiences is not { } allowed)
        {
            return Select(resource, scopes, scopeNamed);
        }

        if (resource is not null)
        {
            return allowed.Contains(resource, StringComparer.Ordinal) ? Select(resource, scopes, scopeNamed)
                : (null, null, OAuthError.InvalidTarget(
                    $"this application may not request resource '{OAuthError.Truncate(resource)}'; " +
                    $"it may request: {string.Join(", ", allowed)}"));
        }

        // No resource named: the server's default, kept to the APIs the application may request. With one left, it is as
        // if that one had been named (a scope only another API serves is dropped, or refused when the caller named it).
        var (defaults, _, _) = Select(null, scopes, scopeNamed);
        var kept = defaults!.Where(a => allowed.Contains(a, StringComparer.Ordinal)).ToArray();
        return kept.Length switch
        {
            0 => (null, null, OAuthError.InvalidTarget(
                $"this application's scopes serve no resource it may request; it may request: {string.Join(", ", allowed)}")),
            1 => Select(kept[0], scopes, scopeNamed),
            _ => (kept, scopes, null),
        };
    }

    private (string[]? Audiences, string[]? Scopes, OAuthError? Error) Select(string? resource, string[] scopes, bool scopeNamed)
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
