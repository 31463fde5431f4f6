using Shared.Protocol;

namespace TokenService.Applications;

/// <summary>How an application takes part in OAuth flows, as requested by the CLI or the management API.</summary>
public sealed record ClientSettings(string? ClientType, IEnumerable<string>? RedirectUris, IEnumerable<string>? GrantTypes)
{
    public const int MaxRedirectUris = 20;
    public const int MaxRedirectUriLength = 2000;

    private static readonly string[] KnownGrantTypes =
        [
            Shared.Protocol.GrantTypes.ClientCredentials, Shared.Protocol.GrantTypes.AuthorizationCode, Shared.Protocol.GrantTypes.RefreshToken,
            Shared.Protocol.GrantTypes.TokenExchange,
        ];

    /// <summary>
    /// Defaults: confidential; with redirect URIs the grant types are authorization_code + refresh_token, without them
    /// client_credentials. A public client has no secret, so it may never use client_credentials (RFC 6749 s.4.4).
    /// </summary>
    public static (ValidatedClientSettings? Settings, ValidationError? Error) Validate(ClientSettings? requested)
    {
        var type = requested?.ClientType?.Trim().ToLowerInvariant() is { Length: > 0 } t ? t : ClientTypes.Confidential;
        if (!ClientTypes.IsKnown(type))
        {
            return Fail("type", "type must be confidential or public");
        }

        var uris = (requested?.RedirectUris ?? []).SelectMany(Scopes.Split).Distinct(StringComparer.Ordinal).ToArray();
        if (uris.Length > MaxRedirectUris)
        {
            return Fail("redirectUris", $"at most {MaxRedirectUris} redirect URIs");
        }

        foreach (var uri in uris)
        {
            if (CheckRedirectUri(uri, type) is { } problem)
            {
                return Fail("redirectUris", problem);
            }
        }

        var grants = (requested?.GrantTypes ?? []).SelectMany(Scopes.Split).Distinct(StringComparer.Ordinal).ToArray();
        if (grants.Length == 0)
        {
            grants = uris.Length > 0
                ? [Shared.Protocol.GrantTypes.AuthorizationCode, Shared.Protocol.GrantTypes.RefreshToken]
                : [Shared.Protocol.GrantTypes.ClientCredentials];
        }

        var problemWithGrants = grants.FirstOrDefault(g => !KnownGrantTypes.Contains(g, StringComparer.Ordinal)) is { } unknown
            ? $"unknown grant type '{unknown}'; known: {string.Join(" ", KnownGrantTypes)}"
            : type == ClientTypes.Public && grants.Contains(Shared.Protocol.GrantTypes.ClientCredentials)
                ? "a public client has no secret, so it cannot use client_credentials"
                : type == ClientTypes.Public && grants.Contains(Shared.Protocol.GrantTypes.TokenExchange)
                    ? "token exchange acts on someone's behalf: only a confidential client may"
                : grants.Contains(Shared.Protocol.GrantTypes.AuthorizationCode) != (uris.Length > 0)
                    ? "authorization_code needs at least one redirect URI, and redirect URIs are only used by authorization_code"
                    : grants.Contains(Shared.Protocol.GrantTypes.RefreshToken) && !grants.Contains(Shared.Protocol.GrantTypes.AuthorizationCode)
                        ? "refresh_token is only issued with authorization_code"
                        : null;
        return problemWithGrants is not null ? Fail("grantTypes", problemWithGrants) : (new ValidatedClientSettings(type, uris, grants), null);
    }

    /// <summary>
    /// RFC 6749 s.3.1.2: absolute, no fragment. RFC 8252 s.7.3/s.8.3: plain http only for loopback hosts; otherwise
    /// https. RFC 8252 s.7.1: a native (public) app may use a private-use scheme in reverse-domain form (com.example.app:/cb).
    /// </summary>
    public static string? CheckRedirectUri(string uri, string clientType)
    {
        // RFC 3986 s.2: only these characters (anything else percent-encoded); Uri.TryCreate alone lets through
        // quotes, angle brackets, NUL and other controls.
        if (uri.Length > MaxRedirectUriLength || !uri.All(IsUriCharacter) || !Uri.TryCreate(uri, UriKind.Absolute, out var parsed))
        {
            return $"redirect URI '{OAuthErrorText(uri)}' is not an absolute URI (RFC 3986 characters only)";
        }

        if (uri.Contains('#', StringComparison.Ordinal) || parsed.UserInfo.Length > 0)
        {
            return $"redirect URI '{OAuthErrorText(uri)}' must not contain a fragment or user info";
        }

        return parsed.Scheme switch
        {
            "https" => null,
            "http" when parsed.Host is "127.0.0.1" or "[::1]" or "localhost" => null,
            "http" => $"redirect URI '{OAuthErrorText(uri)}' uses http: only loopback hosts (127.0.0.1, [::1], localhost) may (RFC 8252)",
            _ when clientType == ClientTypes.Public && parsed.Scheme.Contains('.', StringComparison.Ordinal) => null,
            _ => $"redirect URI '{OAuthErrorText(uri)}' must be https, loopback http, or (public clients) a reverse-domain scheme",
        };
    }

    private static bool IsUriCharacter(char c) =>
        char.IsAsciiLetterOrDigit(c) || "-._~:/?#[]@!$&'()*+,;=%".Contains(c, StringComparison.Ordinal);

    private static string OAuthErrorText(string value) => Token.OAuthError.Truncate(value);

    private static (ValidatedClientSettings?, ValidationError?) Fail(string field, string message) =>
        (null, new ValidationError(field, message));
}

/// <summary>Settings after validation and defaults: what is stored.</summary>
public sealed record ValidatedClientSettings(string ClientType, string[] RedirectUris, string[] GrantTypes)
{
    public bool IsPublic => ClientType == ClientTypes.Public;
}
