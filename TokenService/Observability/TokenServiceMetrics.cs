using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http.Features;
using TokenService.Caching;
using TokenService.Token;

namespace TokenService.Observability;

/// <summary>
/// The TokenService's own instruments, one Meter (<see cref="MeterName"/>). Hot paths push with at most one tag and
/// no allocation (<c>Counter.Add(1, KeyValuePair)</c>); what the caches and the limiter already count with
/// Interlocked is read only when a scrape asks (observable instruments), so the warm token path pays nothing extra.
/// docs/operations.md says what to watch.
/// </summary>
public sealed class TokenServiceMetrics
{
    public const string MeterName = "TokenService";

    private readonly Counter<long> tokensIssued;
    private readonly Counter<long> tokenFailures;
    private readonly Histogram<double> argon2Verifications;

    /// <summary>The caches and the limiter are optional: a host without one simply has no series for it.</summary>
    public TokenServiceMetrics(
        IMeterFactory meters,
        ApplicationCache? applications = null,
        VerifiedSecretCache? verifiedSecrets = null,
        FailedAuthenticationLimiter? limiter = null)
    {
        var meter = meters.Create(MeterName);
        tokensIssued = meter.CreateCounter<long>("tokenservice.tokens.issued", "{token}",
            "Access tokens issued by /oauth2/token, by grant_type.");
        tokenFailures = meter.CreateCounter<long>("tokenservice.token.failures", "{response}",
            "/oauth2/token answers that issued nothing, by OAuth error code (invalid_client, invalid_scope, slow_down, ...).");
        argon2Verifications = meter.CreateHistogram("tokenservice.argon2.verification.duration", "s",
            "Argon2id verifications of client secrets and passwords (count and duration), by result.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });

        if (verifiedSecrets is not null)
        {
            meter.CreateObservableCounter("tokenservice.credential_cache.lookups", () => new[]
            {
                new Measurement<long>(verifiedSecrets.Hits, Result("hit")),
                new Measurement<long>(verifiedSecrets.Misses, Result("miss")),
            }, "{lookup}", "Verified-secret cache lookups: a hit skips Argon2id; a miss costs one verification.");
        }

        if (applications is not null)
        {
            meter.CreateObservableCounter("tokenservice.application_cache.lookups", () => new[]
            {
                new Measurement<long>(applications.Hits, Result("hit")),
                new Measurement<long>(applications.Misses, Result("miss")),
            }, "{lookup}", "Application cache lookups: a miss is one database round trip.");
        }

        if (limiter is not null)
        {
            meter.CreateObservableCounter("tokenservice.rate_limited", () => limiter.Refusals, "{request}",
                "Client authentications refused with 429 before any hashing, after too many failures per client id or address.");
        }
    }

    /// <summary>Called once per /oauth2/token answer with what the endpoint returned.</summary>
    public void TokenEndpointAnswered(HttpContext context, IResult? result)
    {
        if (result is TokenResponse)
        {
            // A token was issued, so the form was read and is cached on the request: no second parse.
            var grantType = context.Features.Get<IFormFeature>()?.Form?[Shared.Protocol.Parameters.GrantType].ToString();
            tokensIssued.Add(1, new KeyValuePair<string, object?>("grant_type", KnownGrantType(grantType)));
        }
        else if (result is OAuthError error)
        {
            tokenFailures.Add(1, new KeyValuePair<string, object?>("error", error.Error));
        }
    }

    public void Argon2Verified(TimeSpan elapsed, bool success) =>
        argon2Verifications.Record(elapsed.TotalSeconds, Result(success ? "success" : "failure"));

    private static KeyValuePair<string, object?> Result(string value) => new("result", value);

    /// <summary>Tag values must come from a closed set: a caller's grant_type string never becomes a time series.</summary>
    private static string KnownGrantType(string? grantType) => grantType switch
    {
        Shared.Protocol.GrantTypes.ClientCredentials => Shared.Protocol.GrantTypes.ClientCredentials,
        Shared.Protocol.GrantTypes.AuthorizationCode => Shared.Protocol.GrantTypes.AuthorizationCode,
        Shared.Protocol.GrantTypes.RefreshToken => Shared.Protocol.GrantTypes.RefreshToken,
        _ => "other",
    };
}
