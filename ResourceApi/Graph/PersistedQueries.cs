using System.Security.Cryptography;
using System.Text;
using GraphQL;
using Microsoft.Extensions.Options;
using Shared.Caching;

namespace ResourceApi.Graph;

/// <summary>
/// Apollo's automatic persisted queries: a client sends <c>extensions.persistedQuery = {version: 1, sha256Hash}</c>
/// without the query; if the hash is unknown it gets <c>PersistedQueryNotFound</c> and sends the query with the
/// hash once, which stores it. The hash is always checked against the text, so nobody can store a query under
/// someone else's hash. Bounded by the characters held; an evicted query just costs the client one round trip.
/// </summary>
internal sealed class PersistedQueries
{
    public const string NotFoundCode = "PERSISTED_QUERY_NOT_FOUND";

    private readonly BoundedCache<string, string> cache;

    public PersistedQueries(IOptions<ResourceApiOptions> options, TimeProvider time) =>
        cache = new BoundedCache<string, string>(options.Value.PersistedQueryCacheCharacters, time, (_, query) => query.Length);

    /// <summary>The query to run: the request's own, or the stored one for its hash; an error the client can act on otherwise.</summary>
    public (string? Query, ExecutionError? Error) Resolve(string? query, Inputs? extensions)
    {
        if (extensions is null || !extensions.TryGetValue("persistedQuery", out var value) || value is null)
        {
            return (query, null);
        }

        if (value is not IDictionary<string, object?> persisted ||
            !persisted.TryGetValue("sha256Hash", out var hashValue) || hashValue is not string hash || !IsSha256Hex(hash))
        {
            return (null, new ExecutionError("extensions.persistedQuery needs sha256Hash: 64 hexadecimal characters")
            {
                Code = "PERSISTED_QUERY_INVALID"
            });
        }

        if (!persisted.TryGetValue("version", out var version) || version is not (1 or 1L or 1.0 or 1m))
        {
            return (null, new ExecutionError("PersistedQueryNotSupported: only extensions.persistedQuery.version 1 is supported")
            { Code = "PERSISTED_QUERY_NOT_SUPPORTED" });
        }

        hash = hash.ToLowerInvariant();
        if (string.IsNullOrEmpty(query))
        {
            return cache.TryGet(hash, out var stored)
                ? (stored, null)
                : (null, new ExecutionError("PersistedQueryNotFound") { Code = NotFoundCode });
        }

        if (!string.Equals(Sha256Hex(query), hash, StringComparison.Ordinal))
        {
            return (null, new ExecutionError("provided sha256Hash does not match the query") { Code = "PERSISTED_QUERY_HASH_MISMATCH" });
        }

        cache.Set(hash, query);
        return (query, null);
    }

    public static string Sha256Hex(string query) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(query)));

    private static bool IsSha256Hex(string value) => value.Length == 64 && value.All(Uri.IsHexDigit);

}
