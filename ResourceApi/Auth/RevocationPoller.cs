using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Shared.Protocol;

namespace ResourceApi.Auth;

/// <summary>
/// Polls the TokenService's revocation feed (GET /oauth2/revocations?since=cursor) about once a second and feeds
/// <see cref="RevokedTokens"/>, so a revoked token, a deleted application or a rotated-out secret is refused here
/// within seconds although access tokens are stateless JWTs. Each poll asks only for entries after its cursor, so
/// many instances cost the TokenService one small in-memory read each. The feed also lists the published key ids:
/// a new one makes JwtBearer re-read the JWKS at once, well inside a rotation's lead time. While the TokenService
/// is unreachable the last known revocations stay in force (nothing is forgotten before it expires).
/// </summary>
internal sealed partial class RevocationPoller(
    IHttpClientFactory httpClients,
    RevokedTokens revoked,
    IOptions<ResourceApiOptions> options,
    IOptionsMonitor<JwtBearerOptions> bearer,
    TimeProvider time,
    ILogger<RevocationPoller> logger) : BackgroundService
{
    public const string HttpClientName = "revocations";

    private long cursor;
    private string[] kids = [];

    private readonly TaskCompletionSource firstPoll = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>True once the first page was read: until then this instance cannot tell a revoked token (readiness).</summary>
    public bool Synchronised { get; private set; }

    /// <summary>Completes when the first poll has succeeded.</summary>
    public Task FirstPoll => firstPoll.Task;

    /// <summary>When this instance last caught up with the feed: how stale its revocations can be (metrics).</summary>
    public DateTimeOffset? CaughtUpAt { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromMilliseconds(Math.Max(100, options.Value.RevocationPollMilliseconds));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await PollOnceAsync(stoppingToken))
                {
                    // has_more: keep reading until caught up.
                }

                revoked.Prune();
            }
            catch (Exception) when (stoppingToken.IsCancellationRequested)
            {
                // Stopping (or disposed after a failed start): an exception here would be logged as a Critical host failure.
                return;
            }
            catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException or KeyNotFoundException or InvalidOperationException
                                       && !stoppingToken.IsCancellationRequested)
            {
                LogPollFailed(logger, e.GetType().Name);
            }

            try
            {
                await Task.Delay(interval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One page; true when there is more to read.</summary>
    public async Task<bool> PollOnceAsync(CancellationToken ct)
    {
        var http = httpClients.CreateClient(HttpClientName);
        var url = $"{options.Value.IssuerTrimmed}{RevocationFeed.Path}?{RevocationFeed.Since}={cursor.ToString(CultureInfo.InvariantCulture)}";
        using var response = await http.GetAsync(url, ct);
        response.EnsureSuccessStatusCode();
        using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(ct), cancellationToken: ct);
        var root = document.RootElement;
        revoked.Apply(root.GetProperty(RevocationFeed.Entries));
        cursor = root.GetProperty(RevocationFeed.Cursor).GetInt64();
        await NoticeKeysAsync(root.GetProperty(RevocationFeed.Keys).EnumerateArray().Select(k => k.GetString()!).ToArray(), ct);
        Synchronised = true;
        firstPoll.TrySetResult();
        var hasMore = root.GetProperty(RevocationFeed.HasMore).GetBoolean();
        if (!hasMore)
        {
            CaughtUpAt = time.GetUtcNow();
        }

        return hasMore;
    }

    /// <summary>A kid we have not seen: ask JwtBearer's configuration manager to re-read discovery and the JWKS now.</summary>
    private async Task NoticeKeysAsync(string[] published, CancellationToken ct)
    {
        var isNew = Synchronised && published.Except(kids, StringComparer.Ordinal).Any();
        kids = published;
        if (isNew && bearer.Get(JwtBearerDefaults.AuthenticationScheme).ConfigurationManager is { } manager)
        {
            LogKeysChanged(logger);
            manager.RequestRefresh();
            await manager.GetConfigurationAsync(ct);
        }
    }

    [LoggerMessage(2101, LogLevel.Warning, "Revocation feed poll failed ({Reason}); known revocations stay in force")]
    private static partial void LogPollFailed(ILogger logger, string reason);

    [LoggerMessage(2102, LogLevel.Information, "A new signing key was published; refreshing the JWKS")]
    private static partial void LogKeysChanged(ILogger logger);
}

/// <summary>Registration: one line in the authentication setup.</summary>
internal static class RevocationPolling
{
    public static IServiceCollection AddRevocationPolling(this IServiceCollection services)
    {
        services.AddSingleton<RevokedTokens>();
        services.AddHttpClient(RevocationPoller.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(5));
        services.AddSingleton<RevocationPoller>();
        services.AddHostedService(sp => sp.GetRequiredService<RevocationPoller>());
        return services;
    }
}
