using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Shared;
using Shared.Protocol;

namespace ResourceApi.Auth;

internal enum ExchangeOutcome
{
    Issued,
    Refused,
    Unavailable,
}

internal readonly record struct ExchangeResult(ExchangeOutcome Outcome, string? AccessToken);

/// <summary>
/// Server-side callers send <c>Authorization: Basic base64(applicationId:secret)</c>. We exchange those at the
/// TokenService's token endpoint (client_credentials) and validate the resulting token like any other, so Basic
/// callers get exactly the scopes and checks of their application. The token is cached in memory until 60 s before
/// it expires, keyed by an HMAC of id and secret under a per-process random key: the secret itself is never kept, and
/// a rotated secret is a new key. One exchange per key is in flight at a time, so a burst does not stampede.
/// </summary>
internal sealed partial class BasicExchange(
    IHttpClientFactory httpClients,
    IOptionsMonitor<JwtBearerOptions> bearer,
    IOptions<ResourceApiOptions> options,
    TimeProvider time,
    ILogger<BasicExchange> logger)
{
    public const string HttpClientName = "token-endpoint";

    private long hits;
    private long misses;

    /// <summary>Basic requests answered from the token cache since start (metrics).</summary>
    public long Hits => Interlocked.Read(ref hits);

    /// <summary>Basic requests that needed (or joined) an exchange at the token endpoint (metrics).</summary>
    public long Misses => Interlocked.Read(ref misses);

    private static readonly TimeSpan RefreshBeforeExpiry = TimeSpan.FromSeconds(60);

    private readonly byte[] cacheKeySecret = RandomNumberGenerator.GetBytes(32);
    private readonly ConcurrentDictionary<string, CachedToken> cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<ExchangeResult>>> inFlight = new(StringComparer.Ordinal);

    public async Task<ExchangeResult> GetTokenAsync(BasicCredentials credentials, CancellationToken ct)
    {
        var key = CacheKey(credentials);
        if (cache.TryGetValue(key, out var cached) && cached.RefreshAt > time.GetUtcNow())
        {
            Interlocked.Increment(ref hits);
            return new ExchangeResult(ExchangeOutcome.Issued, cached.AccessToken);
        }

        Interlocked.Increment(ref misses);

        // The exchange is shared by every waiter, so it does not run on one caller's cancellation token.
        var exchange = inFlight.GetOrAdd(key, k => new Lazy<Task<ExchangeResult>>(() => ExchangeAsync(k, credentials)));
        return await exchange.Value.WaitAsync(ct);
    }

    private string CacheKey(BasicCredentials credentials) =>
        Convert.ToBase64String(HMACSHA256.HashData(cacheKeySecret, Encoding.UTF8.GetBytes(credentials.Id + ":" + credentials.Secret)));

    private async Task<ExchangeResult> ExchangeAsync(string key, BasicCredentials credentials)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var configuration = await bearer.Get(JwtBearerDefaults.AuthenticationScheme).ConfigurationManager!.GetConfigurationAsync(timeout.Token);
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
            using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, timeout.Token);
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.BadRequest)
            {
                return new ExchangeResult(ExchangeOutcome.Refused, null);
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

            Remember(key, new CachedToken(accessToken, time.GetUtcNow() + TimeSpan.FromSeconds(token.ExpiresIn) - RefreshBeforeExpiry));
            return new ExchangeResult(ExchangeOutcome.Issued, accessToken);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or InvalidOperationException or System.Text.Json.JsonException)
        {
            LogExchangeUnavailable(logger, e.GetType().Name);
            return new ExchangeResult(ExchangeOutcome.Unavailable, null);
        }
        finally
        {
            inFlight.TryRemove(key, out _);
        }
    }

    /// <summary>Bounded: past capacity, expired entries go first, and if that is not enough everything does.</summary>
    private void Remember(string key, CachedToken token)
    {
        if (token.RefreshAt <= time.GetUtcNow())
        {
            return;
        }

        if (cache.Count >= options.Value.BasicTokenCacheCapacity)
        {
            var now = time.GetUtcNow();
            foreach (var (k, v) in cache)
            {
                if (v.RefreshAt <= now)
                {
                    cache.TryRemove(k, out _);
                }
            }

            if (cache.Count >= options.Value.BasicTokenCacheCapacity)
            {
                cache.Clear();
            }
        }

        cache[key] = token;
    }

    private sealed record CachedToken(string AccessToken, DateTimeOffset RefreshAt);

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

        var result = await context.RequestServices.GetRequiredService<BasicExchange>().GetTokenAsync(credentials, ct);
        switch (result.Outcome)
        {
            case ExchangeOutcome.Issued:
                context.Request.Headers.Authorization = Challenges.Scheme + " " + result.AccessToken;
                await next(context);
                break;
            case ExchangeOutcome.Refused:
                await Challenges.WriteUnauthorizedAsync(context.Response, true, "the application id or secret is wrong", ct);
                break;
            default:
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                context.Response.Headers.RetryAfter = "5";
                await Challenges.WriteErrorsAsync(context.Response,
                    [new { message = "the token service is unavailable; retry shortly", extensions = new { code = OAuthErrors.TemporarilyUnavailable } }], ct);
                break;
        }
    });
}
