using System.Net;

namespace ResourceApi;

/// <summary>
/// Every ResourceApi setting. Names are the configuration keys (appsettings, environment variables, command line);
/// <c>Issuer</c> and <c>Audience</c> are the contract's names and must match the TokenService's.
/// </summary>
public sealed class ResourceApiOptions
{
    public const string DefaultUrl = "http://localhost:5001";

    /// <summary>The issuer we trust: tokens' <c>iss</c>, and the base of the discovery document we read keys from.</summary>
    public string Issuer { get; set; } = "http://localhost:5000";

    /// <summary>The <c>aud</c> every accepted token must carry.</summary>
    public string Audience { get; set; } = "resource-api";

    /// <summary>Small: the two services share a clock source in practice; 30 s absorbs drift, not stale tokens.</summary>
    public int ClockSkewSeconds { get; set; } = 30;

    /// <summary>The least time between two JWKS refreshes forced by an unknown <c>kid</c> (rate limit against kid spraying).</summary>
    public int JwksRefreshSeconds { get; set; } = 5;

    /// <summary>How often discovery and JWKS are re-read even without an unknown kid.</summary>
    public int JwksAutomaticRefreshMinutes { get; set; } = 10;

    /// <summary>The largest <c>first</c> of a Relay connection and the largest leaderboard.</summary>
    public int MaxPageSize { get; set; } = 100;

    public int MaxDepth { get; set; } = 15;

    public int MaxComplexity { get; set; } = 2000;

    /// <summary>PostgreSQL statement_timeout for every query the API runs.</summary>
    public int StatementTimeoutMilliseconds { get; set; } = 5000;

    public int MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>How many Basic-auth tokens are cached at most (one per application and secret).</summary>
    public int BasicTokenCacheCapacity { get; set; } = 10_000;

    /// <summary>
    /// How long Basic credentials the TokenService refused are answered 401 here without asking again, so a flood
    /// repeating them costs no Argon2id there. Short: a newly created application works within this time.
    /// </summary>
    public int BasicRefusalCacheSeconds { get; set; } = 10;

    /// <summary>How often the TokenService's revocation feed is polled: a revocation is refused here within about this.</summary>
    public int RevocationPollMilliseconds { get; set; } = 1000;

    public string IssuerTrimmed => Issuer.TrimEnd('/');

    public string MetadataAddress => IssuerTrimmed + "/.well-known/openid-configuration";

    /// <summary>Plain-HTTP metadata is acceptable only when it never leaves the machine.</summary>
    public bool IssuerIsLoopback =>
        Uri.TryCreate(Issuer, UriKind.Absolute, out var uri) &&
        (uri.IsLoopback || (IPAddress.TryParse(uri.Host, out var address) && IPAddress.IsLoopback(address)));
}
