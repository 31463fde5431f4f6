using System.Globalization;
using Microsoft.Extensions.Primitives;
using Shared.Protocol;
using TokenService.Applications;
using TokenService.Issuance;
using TokenService.Token;

namespace TokenService.Authorize;

/// <summary>The parameters of an authorization request (RFC 6749 s.4.1.1, RFC 7636 s.4.3, OIDC Core s.3.1.2.1).</summary>
public sealed record AuthorizeRequest
{
    public const int MaxValueLength = 2048;

    /// <summary>The parameters we read, in the order they are echoed into the login form.</summary>
    public static readonly string[] Known =
    [
        Parameters.ClientId, Parameters.RedirectUri, Parameters.ResponseType, Parameters.Scope, Parameters.State, Parameters.Nonce,
        Parameters.CodeChallenge, Parameters.CodeChallengeMethod, Parameters.Prompt, Parameters.MaxAge, Parameters.Request,
        Parameters.RequestUri, Parameters.Tenant, Parameters.Resource,
    ];

    private readonly Dictionary<string, string> values = new(StringComparer.Ordinal);

    /// <summary>The first parameter that was repeated or oversized (RFC 6749 s.3.1: none may appear twice).</summary>
    public string? Malformed { get; private init; }

    public string? ClientId => Get(Parameters.ClientId);
    public string? RedirectUri => Get(Parameters.RedirectUri);
    public string? State => Get(Parameters.State);

    public IEnumerable<KeyValuePair<string, string>> Values =>
        Known.Where(values.ContainsKey).Select(k => KeyValuePair.Create(k, values[k]));

    public string? Get(string name) => values.TryGetValue(name, out var v) ? v : null;

    /// <summary>From the query (GET) or the form (POST, OIDC Core s.3.1.2.1). Empty values count as omitted.</summary>
    public static AuthorizeRequest From(IEnumerable<KeyValuePair<string, StringValues>> parameters)
    {
        string? malformed = null;
        var request = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in parameters)
        {
            if (!Known.Contains(name, StringComparer.Ordinal))
            {
                continue;
            }

            if (value.Count > 1
                || (value.Count == 1 && (value[0]!.Length > MaxValueLength || value[0]!.Contains('\0', StringComparison.Ordinal))))
            {
                malformed ??= name;
            }
            else if (value.Count == 1 && value[0]!.Length > 0)
            {
                request[name] = value[0]!;
            }
        }

        var result = new AuthorizeRequest { Malformed = malformed };
        foreach (var (k, v) in request)
        {
            result.values[k] = v;
        }

        return result;
    }

    /// <summary>
    /// RFC 6749 s.4.1.2.1: when the client or the redirect URI is wrong the user must NOT be sent anywhere: the answer
    /// is an error page. The redirect URI must be one of the application's, by exact string match (RFC 9700 s.4.1.3),
    /// except for the port of a loopback IP literal (RFC 8252 s.7.3: native apps listen on whatever port is free).
    /// </summary>
    public async Task<(Application? Application, string? PageError)> FindClientAsync(ApplicationStore store, CancellationToken ct)
    {
        if (Malformed is Parameters.ClientId or Parameters.RedirectUri)
        {
            return (null, $"The {Malformed} parameter is repeated or too long.");
        }

        if (ClientId is null || RedirectUri is null)
        {
            return (null, "The request has no client_id or no redirect_uri.");
        }

        var application = ClientId.Length > ClientAuthentication.MaxClientIdLength ? null : await store.FindByClientIdAsync(ClientId, ct);
        if (application is null)
        {
            return (null, "The application that sent you here is not known.");
        }

        return application.RedirectUris.Any(registered => RedirectUriMatches(registered, RedirectUri))
            ? (application, null)
            : (null, "The redirect URI is not registered for this application.");
    }

    /// <summary>Exact match; for http://127.0.0.1 and http://[::1] everything but the port (RFC 8252 s.7.3, s.8.3).</summary>
    public static bool RedirectUriMatches(string registered, string presented)
    {
        if (string.Equals(registered, presented, StringComparison.Ordinal))
        {
            return true;
        }

        return Uri.TryCreate(registered, UriKind.Absolute, out var r) && Uri.TryCreate(presented, UriKind.Absolute, out var p) &&
               r.Scheme == Uri.UriSchemeHttp && p.Scheme == Uri.UriSchemeHttp &&
                   r.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 &&
               System.Net.IPAddress.IsLoopback(System.Net.IPAddress.Parse(r.Host.Trim('[', ']'))) &&
               string.Equals(r.Host, p.Host, StringComparison.Ordinal) && string.IsNullOrEmpty(p.UserInfo) &&
                   string.IsNullOrEmpty(p.Fragment) &&
               string.Equals(r.PathAndQuery, p.PathAndQuery, StringComparison.Ordinal) &&
               // Exactly the registered text but the port: no percent-encoding tricks or case changes in the part we compare.
               string.Equals(registered.Replace(r.Authority, "", StringComparison.Ordinal),
                   presented.Replace(p.Authority, "", StringComparison.Ordinal),
                   StringComparison.Ordinal);
    }

    /// <summary>Every other rule; each failure goes back to the client's redirect URI.</summary>
    public (ValidAuthorizeRequest? Request, OAuthError? Error) Validate(Application application, Audiences audiences)
    {
        if (Malformed is not null)
        {
            return Fail($"parameter {Malformed} is repeated or too long");
        }

        // OIDC Core s.6: we do not read request objects, so we must not act as if we had.
        if (Get(Parameters.Request) is not null || Get(Parameters.RequestUri) is not null)
        {
            return (null, OAuthError.RequestNotSupported(byReference: Get(Parameters.Request) is null));
        }

        var responseType = Get(Parameters.ResponseType);
        if (responseType is null)
        {
            return Fail("response_type is required");
        }

        if (responseType != ResponseTypes.Code)
        {
            return (null, OAuthError.UnsupportedResponseType(responseType));
        }

        if (!application.GrantTypes.Contains(GrantTypes.AuthorizationCode, StringComparer.Ordinal))
        {
            return (null, OAuthError.UnauthorizedClient("this application may not use the authorization code flow"));
        }

        var (scopes, scopeError) = ScopeSelection.ForUser(Get(Parameters.Scope), application.Scopes);
        if (scopeError is not null)
        {
            return (null, scopeError);
        }

        var (challenge, pkceError) = ValidatePkce(application);
        if (pkceError is not null)
        {
            return (null, pkceError);
        }

        // OIDC Core s.3.1.2.1: prompt is a space-separated list; "none" must stand alone.
        var prompt = Scopes.Split(Get(Parameters.Prompt));
        if (prompt.Any(p => p is not (PromptValues.None or PromptValues.Login)))
        {
            return Fail("prompt supports only none and login");
        }

        if (prompt.Contains(PromptValues.None) && prompt.Length > 1)
        {
            return Fail("prompt=none cannot be combined with other values");
        }

        int? maxAge = null;
        if (Get(Parameters.MaxAge) is { } rawMaxAge)
        {
            if (!int.TryParse(rawMaxAge, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            {
                return Fail("max_age must be a non-negative number of seconds");
            }

            maxAge = seconds;
        }

        // The tenant's shape here; which tenant the user may have is decided once the user is known.
        if (TenantParameter.Validate(Get(Parameters.Tenant)) is { } tenantError)
        {
            return (null, tenantError);
        }

        // RFC 8707 s.2: a resource must be one of the APIs this application holds scopes for.
        var resource = Get(Parameters.Resource);
        if (resource is not null && audiences.Select(application, resource, scopes!, scopeNamed: false).Error is { } targetError)
        {
            return (null, targetError);
        }

        return (new ValidAuthorizeRequest(application, RedirectUri!, scopes!, State, Get(Parameters.Nonce), challenge,
            prompt.Contains(PromptValues.None), prompt.Contains(PromptValues.Login), maxAge)
        {
            ScopeNamed = Get(Parameters.Scope) is not null, Tenant = Get(Parameters.Tenant), Resource = resource,
        }, null);
    }

    /// <summary>
    /// RFC 7636 s.4.3 and RFC 9700 s.2.1.1: PKCE is required of public clients and accepted from every client, S256
    /// only. An omitted method means plain (RFC 7636 s.4.3), which is refused like an explicit plain.
    /// </summary>
    private (string? Challenge, OAuthError? Error) ValidatePkce(Application application)
    {
        var challenge = Get(Parameters.CodeChallenge);
        var method = Get(Parameters.CodeChallengeMethod);
        if (challenge is null)
        {
            return method is not null ? (null, OAuthError.InvalidRequest("code_challenge_method without code_challenge"))
                : application.IsPublic
                    ? (null, OAuthError.InvalidRequest("PKCE is required: send code_challenge with code_challenge_method=S256"))
                : (null, null);
        }

        if (method != CodeChallengeMethods.S256)
        {
            return (null, OAuthError.InvalidRequest("code_challenge_method must be S256 (plain is not supported)"));
        }

        return Pkce.IsValidChallenge(challenge) ? (challenge, null)
            : (null, OAuthError.InvalidRequest("code_challenge must be 43 base64url characters (BASE64URL(SHA256(verifier)))"));
    }

    private static (ValidAuthorizeRequest?, OAuthError?) Fail(string description) => (null, OAuthError.InvalidRequest(description));
}

/// <summary>An authorization request that passed every check: what a code is bound to.</summary>
public sealed record ValidAuthorizeRequest(
    Application Application,
    string RedirectUri,
    string[] Scopes,
    string? State,
    string? Nonce,
    string? CodeChallenge,
    bool PromptNone,
    bool PromptLogin,
    int? MaxAge)
{
    /// <summary>The client listed the scopes (a missing role is then an error, not a silent narrowing).</summary>
    public bool ScopeNamed { get; init; }

    public string? Tenant { get; init; }

    public string? Resource { get; init; }
}
