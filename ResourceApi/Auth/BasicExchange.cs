using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Shared;
using Shared.Caching;
using Shared.Http;
using Shared.Protocol;

namespace ResourceApi.Auth;

internal enum ExchangeOutcome
{
    Issued,
    Refused,

    /// <summary>The TokenService's failure limit for this caller (its address, forwarded) is spent: 429 with Retry-After.</summary>
    RateLimited,
    Unavailable,
}

internal readonly record struct ExchangeResult(ExchangeOutcome Outcome, string? AccessToken, int RetryAfterSeconds = 0);

/// <summary>
/// Server-side callers send <c>Authorization: Basic base64(applicationId:secret)</c>. We exchange those at the
/// TokenService's token endpoint (client_credentials) and validate the resulting token like any other, so Basic
/// callers get exactly the scopes and checks of their application. The token is cached in memory until 60 s before
/// it expires, keyed by an HMAC of id and secret under a per-process random key: the secret itself is never kept, and
/// a rotated secret is a new key. One exchange per key is in flight at a time, so a burst does not stampede.
/// Refused credentials are remembered briefly too (<c>BasicRefusalCacheSeconds</c>), so a flood repeating them costs
/// neither a round trip nor an Argon2id verification at the TokenService. The exchange forwards the caller's address
/// (X-Forwarded-For): a TokenService that trusts this API as a proxy counts failures against the real caller, so a
/// stranger's wrong credentials cannot spend the budget of every Basic caller behind this API.
/// </summary>
internal sealed partial class BasicExchange(
    IHttpClientFactory httpClients,
    IOptionsMonitor<JwtBearerOptions> bearer,
    IOptions<ResourceApiOptions> options,
    TimeProvider time,
    RevokedTokens revoked,
    ILogger<BasicExchange> logger)
{
    public const string HttpClientName = "token-endpoint";

    /// <summary>Basic requests answered from the token cache since start (metrics).</summary>
    public long Hits => cache.Hits;

    /// <summary>Basic requests that needed (or joined) an exchange at the token endpoint (metrics).</summary>
    public long Misses => cache.Misses;

    private static readonly TimeSpan RefreshBeforeExpiry = TimeSpan.FromSeconds(60);

    private readonly byte[] cacheKeySecret = RandomNumberGenerator.GetBytes(32);

    /// <summary>The token a key exchanged to, or null: the key was refused, and is not asked about again until the entry expires.</summary>
    private readonly BoundedCache<string, ExchangedToken?> cache = new(options.Value.BasicTokenCacheCapacity, time);

    /// <summary>A cached token with what the revocation list is asked about it (read once, when it is exchanged).</summary>
    private sealed record ExchangedToken(string AccessToken, string? Jti, string? ClientId, DateTime IssuedAt)
    {
        public static ExchangedToken Of(string accessToken)
        {
            var jwt = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(accessToken);
            return new(accessToken, jwt.Id,
                jwt.TryGetPayloadValue<string>(Shared.Protocol.ClaimNames.ClientId, out var clientId) ? clientId : null, jwt.IssuedAt);
        }
    }
    private readonly ConcurrentDictionary<string, Lazy<Task<ExchangeResult>>> inFlight = new(StringComparer.Ordinal);

    /// <summary>
    /// Callers the TokenService answered 429 for, until its Retry-After: their further unknown credentials are refused
    /// here at once, so a flood from one address costs the TokenService a handful of requests, not one per attempt.
    /// </summary>
    private readonly BoundedCache<IPAddress, int> rateLimited = new(options.Value.BasicTokenCacheCapacity, time);

    /// <summary>
    /// Exchanges in flight per caller address. Past <see cref="MaxExchangesPerAddress"/> a caller's further unknown
    /// credentials get 429 at once: a flood from one address can neither fill the connection pool to the TokenService
    /// nor queue behind its tarpit, so other callers' exchanges are never stuck behind it.
    /// </summary>
    private readonly ConcurrentDictionary<IPAddress, int> exchangesByAddress = new();

    public const int MaxExchangesPerAddress = 8;

    /// <summary>Refused and rate-limited Basic requests wait here before their answer (BasicRefusalDelayMilliseconds).</summary>
    public RefusalTarpit Tarpit { get; } = new(TimeSpan.FromMilliseconds(options.Value.BasicRefusalDelayMilliseconds));

    public async Task<ExchangeResult> GetTokenAsync(BasicCredentials credentials, IPAddress? caller, CancellationToken ct)
    {
        var key = CacheKey(credentials);
        // A cached token the TokenService has since revoked (the application's scopes were narrowed, its secret rotated
        // without grace) is exchanged again, not served until it expires: the caller gets the application's current
        // limits at once instead of a 401 or, worse, the scopes it no longer has.
        if (cache.TryGet(key, out var cached) && (cached is null || !revoked.IsRevoked(cached.Jti, cached.ClientId, cached.IssuedAt)))
        {
            return cached is null ? new ExchangeResult(ExchangeOutcome.Refused, null)
                : new ExchangeResult(ExchangeOutcome.Issued, cached.AccessToken);
        }

        if (caller is not null && rateLimited.TryGet(caller, out var retryAfter))
        {
            return new ExchangeResult(ExchangeOutcome.RateLimited, null, retryAfter);
        }

        // The exchange is shared by every waiter, so it does not run on one caller's cancellation token.
        if (inFlight.TryGetValue(key, out var joined))
        {
            return await joined.Value.WaitAsync(ct);
        }

        if (caller is not null && exchangesByAddress.AddOrUpdate(caller, 1, (_, n) => n + 1) > MaxExchangesPerAddress)
        {
            Release(caller);
            return new ExchangeResult(ExchangeOutcome.RateLimited, null, 1);
        }

        try
        {
            var exchange = inFlight.GetOrAdd(key, k => new Lazy<Task<ExchangeResult>>(() => ExchangeAsync(k, credentials, caller)));
            return await exchange.Value.WaitAsync(ct);
        }
        finally
        {
            if (caller is not null)
            {
                Release(caller);
            }
        }
    }

    private void Release(IPAddress caller)
    {
        if (exchangesByAddress.AddOrUpdate(caller, 0, (_, n) => n - 1) <= 0)
        {
            exchangesByAddress.TryRemove(KeyValuePair.Create(caller, 0));
        }
    }

    private string CacheKey(BasicCredentials credentials) =>
        Convert.ToBase64String(HMACSHA256.HashData(cacheKeySecret, Encoding.UTF8.GetBytes(credentials.Id + ":" + credentials.Secret)));

    private async Task<ExchangeResult> ExchangeAsync(string key, BasicCredentials credentials, IPAddress? caller)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var configuration = await bearer.Get(JwtBearerDefaults.AuthenticationScheme)
                .ConfigurationManager!.GetConfigurationAsync(timeout.Token);
            if (configuration.TokenEndpoint is not { Length: > 0 } tokenEndpoint)
            {
                LogExchangeUnavailable(logger, "discovery lists no token_endpoint");
                return new ExchangeResult(ExchangeOutcome.Unavailable, null);
            }

            using var request = new HttpRequestMessage(HttpMethod.Post, tokenEndpoint)
            {
                // RFC 8707: a token for this API only, so it never carries application:admin (a management API scope).
                Content = new FormUrlEncodedContent([
                    KeyValuePair.Create(Parameters.GrantType, GrantTypes.ClientCredentials),
                    KeyValuePair.Create(Parameters.Resource, options.Value.Audience),
                ]),
            };
            request.Headers.Authorization = credentials.ToHeader();
            if (caller is not null)
            {
                // Believed only by a TokenService configured to trust this API (ForwardedHeaders:KnownProxies).
                request.Headers.TryAddWithoutValidation("X-Forwarded-For", caller.ToString());
            }

            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, timeout.Token);
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.BadRequest)
            {
                cache.Set(key, null, TimeSpan.FromSeconds(options.Value.BasicRefusalCacheSeconds));
                return new ExchangeResult(ExchangeOutcome.Refused, null);
            }

            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                var retryAfter = Math.Max(1, (int)Math.Ceiling(response.Headers.RetryAfter?.Delta?.TotalSeconds ?? 1));
                if (caller is not null)
                {
                    rateLimited.Set(caller, retryAfter, TimeSpan.FromSeconds(retryAfter));
                }

                return new ExchangeResult(ExchangeOutcome.RateLimited, null, retryAfter);
            }

            if (!response.IsSuccessStatusCode)
            {
                LogExchangeUnavailable(logger, "token endpoint answered " + (int)response.StatusCode);
                return new ExchangeResult(ExchangeOutcome.Unavailable, null);
            }

            var token = await response.Content.ReadFromJsonAsync<TokenEndpointResponse>(timeout.Token);
            if (token?.AccessToken is not { Length: > 0 } accessToken)
            {
                LogExchangeUnavailable(logger, "token endpoint answered without an access_token");
                return new ExchangeResult(ExchangeOutcome.Unavailable, null);
            }

            cache.Set(key, ExchangedToken.Of(accessToken), TimeSpan.FromSeconds(token.ExpiresIn) - RefreshBeforeExpiry);
            return new ExchangeResult(ExchangeOutcome.Issued, accessToken);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or InvalidOperationException
            or System.Text.Json.JsonException or ArgumentException)
        {
            LogExchangeUnavailable(logger, e.GetType().Name);
            return new ExchangeResult(ExchangeOutcome.Unavailable, null);
        }
        finally
        {
            inFlight.TryRemove(key, out _);
        }
    }

    private sealed record TokenEndpointResponse(
        [property: JsonPropertyName("access_token")] string? AccessToken,
        [property: JsonPropertyName("expires_in")] int ExpiresIn);

    [LoggerMessage(2101, LogLevel.Warning, "Basic credentials could not be exchanged: {Reason}")]
    private static partial void LogExchangeUnavailable(ILogger logger, string reason);
}

internal static class BasicExchangeMiddleware
{
    /// <summary>
    /// Runs before authentication: a Basic header becomes the Bearer token it exchanges to, so JwtBearer validates
    /// it (signature, iss, aud, lifetime) like any other. Refused credentials are 401 invalid_token, as the contract says.
    /// </summary>
    public static IApplicationBuilder UseBasicExchange(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var headers = context.Request.Headers.Authorization;
        if (!BasicCredentials.IsBasic(headers.ToString()))
        {
            await next(context);
            return;
        }

        var ct = context.RequestAborted;
        if (headers.Count != 1 || !BasicCredentials.TryParse(headers.ToString(), out var credentials))
        {
            await Challenges.WriteUnauthorizedAsync(context.Response, true, "malformed Basic credentials", ct);
            return;
        }

        var exchange = context.RequestServices.GetRequiredService<BasicExchange>();
        var result = await exchange.GetTokenAsync(credentials, context.Connection.RemoteIpAddress, ct);
        if (result.Outcome is ExchangeOutcome.Refused or ExchangeOutcome.RateLimited)
        {
            await exchange.Tarpit.PauseAsync(ct);
        }

        switch (result.Outcome)
        {
            case ExchangeOutcome.Issued:
                context.Request.Headers.Authorization = Challenges.Scheme + " " + result.AccessToken;
                await next(context);
                break;
            case ExchangeOutcome.Refused:
                await Challenges.WriteUnauthorizedAsync(context.Response, true, "the application id or secret is wrong", ct);
                break;
            case ExchangeOutcome.RateLimited:
                context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
                context.Response.Headers.RetryAfter = result.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
                await Challenges.WriteErrorsAsync(context.Response,
                    [new { message = "too many failed authentications from this address; retry later",
                        extensions = new { code = OAuthErrors.SlowDown } }], ct);
                break;
            default:
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                context.Response.Headers.RetryAfter = "5";
                await Challenges.WriteErrorsAsync(context.Response,
                    [new { message = "the token service is unavailable; retry shortly",
                        extensions = new { code = OAuthErrors.TemporarilyUnavailable } }], ct);
                break;
        }
    });
}
