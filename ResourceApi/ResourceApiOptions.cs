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

    /// <summary>
    /// How long a refused or rate-limited Basic request waits before its 401/429 (the tarpit, as at the token
    /// endpoint): a closed-loop flood of wrong credentials then retries once per delay per connection instead of
    /// thousands of times a second, and cannot win this process's CPU from the callers it serves. 0 turns it off.
    /// </summary>
    public int BasicRefusalDelayMilliseconds { get; set; } = 1000;

    /// <summary>How often the TokenService's revocation feed is polled: a revocation is refused here within about this.</summary>
    public int RevocationPollMilliseconds { get; set; } = 1000;

    /// <summary>
    /// The deepest an operation of introspection fields alone may nest. Tools send type references 7 to 9
    /// <c>ofType</c> levels deep (graphql-js 16's standard query is 15 levels in all, 17's with typeDepth 9 is 17).
    /// </summary>
    public int MaxIntrospectionDepth { get; set; } = 18;

    /// <summary>
    /// The largest complexity of an operation of introspection fields alone. graphql-dotnet counts <c>__schema.types</c>
    /// as many times as the schema has types, so the standard query costs about 7,700 on this schema; 20 copies of it
    /// under aliases cost 150,000 and are refused.
    /// </summary>
    public int MaxIntrospectionComplexity { get; set; } = 20_000;

    /// <summary>
    /// The most fields one document may select, as written (each alias counts; a fragment once). Checked before the
    /// specification's validation rules, whose cost grows faster than the document. graphql-js's standard
    /// introspection query has 67 to 73.
    /// </summary>
    public int MaxFieldsPerDocument { get; set; } = 250;

    /// <summary>
    /// The most database statements one request may cost, by the cost model (each data field's statements times the
    /// page sizes around it). Refused with 400 before execution when over.
    /// </summary>
    public int MaxDataFieldsPerRequest { get; set; } = 50;

    /// <summary>How many resolvers of one request run at once: one request never holds more pooled connections than this.</summary>
    public int MaxParallelResolversPerRequest { get; set; } = 4;

    /// <summary>Parsed and validated documents kept, counted in characters of query text (a bound on memory, not on entries).</summary>
    public int DocumentCacheCharacters { get; set; } = 4_000_000;

    /// <summary>Automatic persisted queries (Apollo) kept by hash, counted in characters of query text.</summary>
    public int PersistedQueryCacheCharacters { get; set; } = 4_000_000;

    /// <summary>
    /// How long catalog reads (Metric and Data Pool lists and lookups) are kept: changes through this instance are seen
    /// at once, another instance's within this. 0 turns the cache off.
    /// </summary>
    public int CatalogCacheMilliseconds { get; set; } = 1000;

    /// <summary>Serve the GraphQL playground at GET /graphql (Accept: text/html); null means on in Development only.</summary>
    public bool? Playground { get; set; }

    public string IssuerTrimmed => Issuer.TrimEnd('/');

    public string MetadataAddress => IssuerTrimmed + "/.well-known/openid-configuration";

    /// <summary>Plain-HTTP metadata is acceptable only when it never leaves the machine.</summary>
    public bool IssuerIsLoopback =>
        Uri.TryCreate(Issuer, UriKind.Absolute, out var uri) &&
        (uri.IsLoopback || (IPAddress.TryParse(uri.Host, out var address) && IPAddress.IsLoopback(address)));
}
