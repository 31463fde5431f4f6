using Microsoft.Extensions.Options;
using Shared.Hosting;
using TokenService.Crypto;
using TokenService.Hosting;

namespace TokenService;

/// <summary>
/// Every TokenService setting. Names are the configuration keys (appsettings.json or environment variables;
/// nested ones as <c>Argon2__MemoryKiB</c>). docs/configuration.md lists them with defaults.
/// </summary>
public sealed class TokenServiceOptions
{
    /// <summary>The issuer URL: <c>iss</c> of every token and the base of every discovery URL.</summary>
    public string Issuer { get; set; } = "http://localhost:5000";

    /// <summary>The <c>aud</c> of access tokens: the API they are for.</summary>
    public string Audience { get; set; } = "resource-api";

    /// <summary>
    /// RFC 8707: the <c>aud</c> the management API (/applications, /users) accepts, and the <c>resource</c> that asks for
    /// it. Empty: the issuer URL (the TokenService is that API's resource server).
    /// </summary>
    public string? ManagementAudience { get; set; }

    /// <summary>
    /// RFC 7662 s.4: client ids of resource servers allowed to introspect any client's access tokens. Every other
    /// client learns <c>active: true</c> only for its own tokens. Environment: IntrospectionClients__0, __1, ...
    /// </summary>
    public string[] IntrospectionClients { get; set; } = [];

    public string ManagementAudienceOrIssuer => string.IsNullOrEmpty(ManagementAudience) ? IssuerTrimmed : ManagementAudience;

    /// <summary>An access token's lifetime unless its application sets its own (<c>accessTokenLifetimeSeconds</c>).</summary>
    public int AccessTokenLifetimeSeconds { get; set; } = 3600;

    /// <summary>
    /// The longest lifetime an application may set for its access tokens. 0 (default): AccessTokenLifetimeSeconds, so
    /// applications may only shorten it. Revocation entries and signing-key retirement wait this long.
    /// </summary>
    public int MaxAccessTokenLifetimeSeconds { get; set; }

    /// <summary>How long any access token of ours can live: what revocation entries and key retirement must outlast.</summary>
    public int LongestAccessTokenLifetimeSeconds => Math.Max(AccessTokenLifetimeSeconds, MaxAccessTokenLifetimeSeconds);

    /// <summary>The modulus of new RSA signing keys (RS256, PS256): 2048 or more, 3072 where policy asks for it.</summary>
    public int RsaKeySize { get; set; } = 2048;

    /// <summary>
    /// What new signing keys sign with: RS256 (default, what every OIDC client accepts), PS256 or ES256 (P-256, several
    /// times cheaper to sign). Changing it affects the next key (first start, <c>keys rotate</c>); keys already made keep
    /// theirs, so a rotation moves the ring from one to the other with both published meanwhile.
    /// </summary>
    public string SigningAlgorithm { get; set; } = Shared.Protocol.SigningAlgorithms.RS256;

    /// <summary>RFC 9700 s.4.14.2: a refresh token family dies this long after sign-in, however often it was rotated.</summary>
    public int RefreshTokenAbsoluteLifetimeSeconds { get; set; } = 30 * 24 * 3600;

    /// <summary>A refresh token not used for this long expires (each rotation starts a new idle period).</summary>
    public int RefreshTokenIdleLifetimeSeconds { get; set; } = 7 * 24 * 3600;

    /// <summary>How long a login session cookie lets /oauth2/authorize skip the login form.</summary>
    public int LoginSessionLifetimeSeconds { get; set; } = 8 * 3600;

    /// <summary>
    /// After rotate-secret, how long the previous secret keeps working unless the request says otherwise
    /// (<c>gracePeriodSeconds</c>, <c>--grace-seconds</c>). 0: it stops at once.
    /// </summary>
    public int SecretRotationGracePeriodSeconds { get; set; }

    /// <summary>How often each instance reloads signing keys from the database (rotation by another instance).</summary>
    public int KeyRefreshSeconds { get; set; } = 30;

    /// <summary>Base64 of 32 random bytes; seals signing keys at rest. Environment: KEY_ENCRYPTION_KEY.</summary>
    public string? KeyEncryptionKey { get; set; }

    public Argon2Parameters Argon2 { get; set; } = new();

    /// <summary>How long a client authentication refused with 429 is held before the answer (0: none).</summary>
    public int RateLimitRefusalDelayMilliseconds { get; set; } = 1000;

    /// <summary>
    /// How long a client secret proven by Argon2id skips the hash (the verified-secret cache). Under traffic it is
    /// re-proven in the background from three quarters of this on, so it never expires in a busy client's face.
    /// </summary>
    public int ProvenSecretCacheSeconds { get; set; } = 120;

    /// <summary>
    /// Reverse proxies (and the ResourceApi's Basic exchange) whose X-Forwarded-For is believed, so failure limits
    /// fall on the real caller. Empty by default: nothing is trusted. See docs/configuration.md.
    /// </summary>
    public TrustedProxyOptions ForwardedHeaders { get; set; } = new();

    public string IssuerTrimmed => Issuer.TrimEnd('/');

    /// <summary>Binds from the root configuration, where the contract's names live.</summary>
    public static void Bind(TokenServiceOptions options, IConfiguration configuration)
    {
        configuration.Bind(options);
        // A list given as one value (ForwardedHeaders__KnownProxies=10.0.0.5,10.0.0.6, as the docs write it) is no list to
        // the binder, which dropped it silently and trusted nobody: read it as the comma-separated list it is.
        if (configuration["ForwardedHeaders:KnownProxies"] is { Length: > 0 } proxies)
        {
            options.ForwardedHeaders.KnownProxies.Add(proxies);
        }

        if (configuration["ForwardedHeaders:KnownNetworks"] is { Length: > 0 } networks)
        {
            options.ForwardedHeaders.KnownNetworks.Add(networks);
        }

        options.KeyEncryptionKey = configuration["KEY_ENCRYPTION_KEY"] ?? options.KeyEncryptionKey;
        var argon = configuration.GetSection("Argon2");
        options.Argon2 = new Argon2Parameters(
            argon.GetValue("MemoryKiB", options.Argon2.MemoryKiB),
            argon.GetValue("Iterations", options.Argon2.Iterations),
            argon.GetValue("Parallelism", options.Argon2.Parallelism));
    }
}

/// <summary>Checked on start (ValidateOnStart): a bad setting stops the service with one clear line.</summary>
public sealed class TokenServiceOptionsValidator : IValidateOptions<TokenServiceOptions>
{
    public ValidateOptionsResult Validate(string? name, TokenServiceOptions o)
    {
        var failures = new List<string>();
        if (!IssuerUrl.IsValid(o.Issuer))
        {
            failures.Add("Issuer must be an absolute http(s) URL without query or fragment");
        }

        if (o.AccessTokenLifetimeSeconds is < 60 or > 86400)
        {
            failures.Add("AccessTokenLifetimeSeconds must be between 60 and 86400");
        }

        if (o.MaxAccessTokenLifetimeSeconds != 0 &&
            (o.MaxAccessTokenLifetimeSeconds < o.AccessTokenLifetimeSeconds || o.MaxAccessTokenLifetimeSeconds > 86400))
        {
            failures.Add("MaxAccessTokenLifetimeSeconds must be 0 (= AccessTokenLifetimeSeconds) or between it and 86400");
        }

        if (o.RefreshTokenIdleLifetimeSeconds < 60 || o.RefreshTokenAbsoluteLifetimeSeconds < o.RefreshTokenIdleLifetimeSeconds)
        {
            failures.Add("RefreshTokenIdleLifetimeSeconds must be at least 60 and at most RefreshTokenAbsoluteLifetimeSeconds");
        }

        if (o.LoginSessionLifetimeSeconds is < 60 or > 30 * 24 * 3600)
        {
            failures.Add("LoginSessionLifetimeSeconds must be between 60 and 2592000");
        }

        if (o.SecretRotationGracePeriodSeconds is < 0 or > Applications.ApplicationsApi.MaxGracePeriodSeconds)
        {
            failures.Add($"SecretRotationGracePeriodSeconds must be between 0 and {Applications.ApplicationsApi.MaxGracePeriodSeconds}");
        }

        // RFC 8707: the two APIs must be told apart by aud, or a ResourceApi token would open the management API.
        if (string.IsNullOrWhiteSpace(o.Audience) || o.ManagementAudienceOrIssuer == o.Audience)
        {
            failures.Add("Audience must be set and differ from ManagementAudience (default: the issuer URL)");
        }

        if (o.RsaKeySize is < 2048 or > 8192 || o.RsaKeySize % 8 != 0)
        {
            failures.Add("RsaKeySize must be 2048..8192 and a multiple of 8");
        }

        if (!Shared.Protocol.SigningAlgorithms.IsKnown(o.SigningAlgorithm))
        {
            failures.Add($"SigningAlgorithm must be one of {string.Join(", ", Shared.Protocol.SigningAlgorithms.All)}");
        }

        if (o.Argon2.MemoryKiB < Argon2Parameters.MinMemoryKiB || o.Argon2.Iterations < Argon2Parameters.MinIterations || o.Argon2.Parallelism < 1)
        {
            failures.Add("Argon2 parameters must be at least OWASP's minimum: MemoryKiB=19456, Iterations=2, Parallelism=1");
        }

        if (o.ProvenSecretCacheSeconds is < 1 or > 600)
        {
            failures.Add("ProvenSecretCacheSeconds must be between 1 and 600");
        }

        failures.AddRange(o.ForwardedHeaders.Problems());
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
