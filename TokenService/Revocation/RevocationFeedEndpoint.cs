using System.Globalization;
using System.Text.Json;
using Shared.Database;
using Shared.Http;
using Shared.Protocol;
using TokenService.Changes;
using TokenService.Keys;

namespace TokenService.Revocation;

/// <summary>
/// GET /oauth2/revocations?since=cursor: the revocation entries after a cursor, served from memory (resource servers
/// poll it every second or so, so it must cost nothing). Public like the JWKS: jtis and client ids appear only as
/// SHA-256 hashes (Shared.Protocol.RevocationFeed), which tell a reader nothing it did not already hold.
/// </summary>
public static partial class RevocationFeedEndpoint
{
    /// <summary>Entries per response; a reader far behind gets has_more and asks again at once.</summary>
    public const int PageSize = 1000;

    public static IEndpointRouteBuilder MapRevocationFeed(this IEndpointRouteBuilder app)
    {
        app.MapGet(RevocationFeed.Path, HandleAsync);
        return app;
    }

    public static async Task<IResult> HandleAsync(
        HttpContext context, RevocationList list, ChangeListener changes, KeyRing ring, ILoggerFactory loggers, CancellationToken ct)
    {
        if (!long.TryParse(context.Request.Query[RevocationFeed.Since].ToString() is { Length: > 0 } s ? s : "0", NumberStyles.None,
                CultureInfo.InvariantCulture, out var since))
        {
            return TypedResults.Problem($"{RevocationFeed.Since} must be a non-negative integer cursor", statusCode: StatusCodes.Status400BadRequest);
        }

        RevocationList.Snapshot snapshot;
        try
        {
            // Without a LISTEN connection this instance may have missed a notification: read the table first.
            if (!changes.Listening)
            {
                await list.RefreshAsync(ct);
            }

            snapshot = await list.GetAsync(ct);
        }
        catch (Exception e) when (Postgres.IsUnavailable(e))
        {
            LogUnavailable(loggers.CreateLogger(typeof(RevocationFeedEndpoint)), e.GetType().Name);
            context.Response.Headers.RetryAfter = "1";
            return TypedResults.Problem("the revocation list is temporarily unavailable", statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        // A cursor ahead of ours (another instance that is further along, or a rebuilt database): start over from 0.
        if (since > snapshot.Cursor)
        {
            since = 0;
        }

        var page = snapshot.Entries.Where(e => e.Id > since).Take(PageSize + 1).ToList();
        var hasMore = page.Count > PageSize;
        var entries = page.Take(PageSize).ToList();
        var cursor = hasMore ? entries[^1].Id : snapshot.Cursor;
        NoStore.Apply(context.Response);
        return TypedResults.Bytes(Write(cursor, entries, hasMore, ring.Current?.PublishedKeys.Select(k => k.Kid)), "application/json");
    }

    private static byte[] Write(long cursor, IReadOnlyList<RevocationEntry> entries, bool hasMore, IEnumerable<string>? kids)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber(RevocationFeed.Cursor, cursor);
            json.WriteBoolean(RevocationFeed.HasMore, hasMore);
            json.WriteStartArray(RevocationFeed.Keys);
            foreach (var kid in kids ?? [])
            {
                json.WriteStringValue(kid);
            }

            json.WriteEndArray();
            json.WriteStartArray(RevocationFeed.Entries);
            foreach (var e in entries)
            {
                json.WriteStartObject();
                json.WriteNumber(RevocationFeed.Cursor, e.Id);
                json.WriteString(RevocationFeed.Type, e.Kind switch
                {
                    RevocationEntry.KindJti => RevocationFeed.TypeJti,
                    RevocationEntry.KindGrant => RevocationFeed.TypeGrant,
                    _ => RevocationFeed.TypeClient,
                });
                json.WriteString(RevocationFeed.Id, RevocationFeed.Hash(e.Value));
                if (e.NotBefore is { } notBefore)
                {
                    json.WriteNumber(RevocationFeed.NotBefore, Unix(notBefore));
                }

                json.WriteNumber(RevocationFeed.EffectiveAt, Unix(e.EffectiveAt));
                json.WriteNumber(RevocationFeed.ExpiresAt, Unix(e.ExpiresAt));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Milliseconds: a token issued in the same second as a rotation must still be told apart.</summary>
    private static long Unix(DateTime utc) => new DateTimeOffset(DateTime.SpecifyKind(utc, DateTimeKind.Utc)).ToUnixTimeMilliseconds();

    [LoggerMessage(5201, LogLevel.Warning, "Revocation feed could not be served: {Reason}")]
    private static partial void LogUnavailable(ILogger logger, string reason);
}
