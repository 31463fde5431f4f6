using System.Diagnostics.Metrics;
using ResourceApi.Auth;

namespace ResourceApi.Observability;

/// <summary>
/// The ResourceApi's own instruments, one Meter (<see cref="MeterName"/>). Per-request recording is one
/// <c>Counter.Add</c> with one tag; what BasicExchange and RevocationPoller already track is read only at scrape time.
/// </summary>
internal sealed class ResourceApiMetrics
{
    public const string MeterName = "ResourceApi";

    private readonly Counter<long> graphqlRequests;
    private readonly Counter<long> keyDocumentFetches;

    public ResourceApiMetrics(IMeterFactory meters, BasicExchange basicExchange, RevocationPoller revocations, TimeProvider time)
    {
        var meter = meters.Create(MeterName);
        graphqlRequests = meter.CreateCounter<long>("resourceapi.graphql.requests", "{request}",
            "/graphql requests by outcome: ok, bad_request, unauthorized, forbidden (insufficient_scope), unavailable, error.");
        keyDocumentFetches = meter.CreateCounter<long>("resourceapi.jwks.refreshes", "{request}",
            "Discovery and JWKS documents fetched from the issuer, by document: start-up, the automatic refresh, and unknown-kid refreshes.");
        meter.CreateObservableCounter("resourceapi.basic_exchange.cache.lookups", () => new[]
        {
            new Measurement<long>(basicExchange.Hits, new KeyValuePair<string, object?>("result", "hit")),
            new Measurement<long>(basicExchange.Misses, new KeyValuePair<string, object?>("result", "miss")),
        }, "{request}", "HTTP Basic requests: a hit reuses a cached token; a miss costs a token-endpoint exchange (Argon2id there).");
        meter.CreateObservableGauge("resourceapi.revocation.lag", () =>
            revocations.CaughtUpAt is { } at ? (time.GetUtcNow() - at).TotalSeconds : double.NaN, "s",
            "Seconds since this instance last caught up with the TokenService's revocation feed: a revocation is enforced here at most this much (plus one poll) late.");
    }

    public void GraphQLAnswered(int statusCode) => graphqlRequests.Add(1, new KeyValuePair<string, object?>("outcome", statusCode switch
    {
        StatusCodes.Status200OK => "ok",
        StatusCodes.Status401Unauthorized => "unauthorized",
        StatusCodes.Status403Forbidden => "forbidden",
        StatusCodes.Status503ServiceUnavailable => "unavailable",
        >= 400 and < 500 => "bad_request",
        _ => "error",
    }));

    public void KeyDocumentFetched(bool jwks) =>
        keyDocumentFetches.Add(1, new KeyValuePair<string, object?>("document", jwks ? "jwks" : "discovery"));
}
