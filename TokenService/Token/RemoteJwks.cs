using System.Collections.Concurrent;
using System.Net;
using Microsoft.IdentityModel.Tokens;
using TokenService.Applications;

namespace TokenService.Token;

/// <summary>
/// The public keys of a private_key_jwt application that registered a <c>jwks_uri</c> (RFC 7591 s.2, OIDC Core s.9)
/// instead of inline keys: fetched over HTTPS, kept <see cref="Fresh"/>, fetched again at once when an assertion names
/// a key id the set lacks (the client rotated), but not more often than <see cref="Cooldown"/>, so a stream of
/// assertions with unknown key ids cannot make us hammer the client's server. A fetch that fails (down, slow, too big,
/// not a JWK Set) keeps the last good set; without one the assertion is refused (invalid_client), never a 500. No
/// redirects are followed and the body is read to <see cref="MaxBytes"/> at most.
/// </summary>
public sealed partial class RemoteJwks(TimeProvider time, ILogger<RemoteJwks> logger) : IDisposable
{
    public static readonly TimeSpan Fresh = TimeSpan.FromMinutes(5);
    public static readonly TimeSpan Cooldown = TimeSpan.FromSeconds(10);
    public const int MaxBytes = 64 * 1024;
    public const int MaxUriLength = 2000;
    private const int MaxCached = 10_000;

    private readonly HttpClient http = new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        ConnectTimeout = TimeSpan.FromSeconds(3),
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
    })
    {
        Timeout = TimeSpan.FromSeconds(5),
        MaxResponseContentBufferSize = MaxBytes,
    };

    private readonly ConcurrentDictionary<string, Entry> sets = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> gates = new(StringComparer.Ordinal);

    private sealed record Entry(IList<SecurityKey> Keys, DateTimeOffset FetchedAt, DateTimeOffset TriedAt);

    /// <summary>
    /// Why <paramref name="uri"/> cannot be a jwks_uri, or null. HTTPS only (the keys decide who may get tokens), except
    /// plain HTTP to a loopback host (a sidecar, a test); no user info, no fragment.
    /// </summary>
    public static string? Validate(string uri)
    {
        // "/path" is an absolute file: URI on Unix, so the scheme separator is required too.
        if (uri.Length > MaxUriLength || !uri.Contains("://", StringComparison.Ordinal) ||
            !Uri.TryCreate(uri, UriKind.Absolute, out var parsed) || parsed.UserInfo.Length > 0 ||
            parsed.Fragment.Length > 0 || uri.Any(char.IsWhiteSpace))
        {
            return $"jwksUri must be an absolute https URL of at most {MaxUriLength} characters, without user info or fragment";
        }

        return parsed.Scheme == Uri.UriSchemeHttps || (parsed.Scheme == Uri.UriSchemeHttp && parsed.IsLoopback) ? null
            : "jwksUri must use https (plain http only to a loopback host)";
    }

    /// <summary>The keys at <paramref name="uri"/>, fetched again first when stale or when they lack <paramref name="kid"/>.</summary>
    public async Task<IList<SecurityKey>> GetAsync(string uri, string? kid, CancellationToken ct)
    {
        if (sets.TryGetValue(uri, out var entry) && !Due(entry, kid))
        {
            return entry.Keys;
        }

        if (gates.Count >= MaxCached)
        {
            gates.Clear();
        }

        // One fetch per set at a time: concurrent assertions wait for it and then use what it got.
        var gate = gates.GetOrAdd(uri, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            if (sets.TryGetValue(uri, out entry) && !Due(entry, kid))
            {
                return entry.Keys;
            }

            var fetched = await FetchAsync(uri, entry);
            if (sets.Count >= MaxCached)
            {
                sets.Clear();
            }

            sets[uri] = fetched;
            return fetched.Keys;
        }
        finally
        {
            gate.Release();
        }
    }

    private bool Due(Entry entry, string? kid)
    {
        var now = time.GetUtcNow();
        return now - entry.TriedAt >= Cooldown &&
               (now - entry.FetchedAt >= Fresh || (kid is not null && !entry.Keys.Any(k => k.KeyId == kid)));
    }

    /// <summary>A new set, held to the rules of inline keys (ApplicationKeys.Validate); on any failure the previous one.</summary>
    private async Task<Entry> FetchAsync(string uri, Entry? previous)
    {
        var now = time.GetUtcNow();
        string reason;
        try
        {
            using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseContentRead);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                using var document = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                var (stored, error) = ApplicationKeys.Validate(document.RootElement);
                if (stored is not null && ApplicationKeys.Parse(stored) is { Count: > 0 } keys)
                {
                    return new Entry(keys, now, now);
                }

                reason = error?.Message ?? "no usable signing key";
            }
            else
            {
                reason = $"status {(int)response.StatusCode}";
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException
                                      or ArgumentException or InvalidOperationException)
        {
            reason = e.GetType().Name;
        }

        LogFetchFailed(logger, uri, reason);
        return (previous ?? new Entry([], DateTimeOffset.MinValue, now)) with { TriedAt = now };
    }

    public void Dispose()
    {
        http.Dispose();
        foreach (var gate in gates.Values)
        {
            gate.Dispose();
        }
    }

    [LoggerMessage(2011, LogLevel.Warning, "Fetching the JWK Set at {Uri} failed: {Reason}; the last good set (if any) stays in use")]
    private static partial void LogFetchFailed(ILogger logger, string uri, string reason);
}
