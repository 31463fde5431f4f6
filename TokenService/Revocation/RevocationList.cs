using System.Collections.Frozen;

namespace TokenService.Revocation;

/// <summary>
/// This instance's copy of the live revocations, read incrementally by cursor: at first use, whenever the change
/// feed announces a new row (any instance, LISTEN/NOTIFY) and right after a revocation made here. Introspection, the
/// management API and the revocation feed read it from memory; one immutable snapshot is swapped atomically.
/// </summary>
public sealed class RevocationList(RevocationStore store, TimeProvider time)
{
    private readonly SemaphoreSlim refreshing = new(1, 1);
    private volatile Snapshot current = Snapshot.Empty;
    private volatile bool loaded;

    public sealed class Snapshot(long cursor, IReadOnlyList<RevocationEntry> entries)
    {
        public static readonly Snapshot Empty = new(0, []);

        public long Cursor { get; } = cursor;

        /// <summary>Live entries in cursor order.</summary>
        public IReadOnlyList<RevocationEntry> Entries { get; } = entries;

        public FrozenSet<string> Jtis { get; } = entries.Where(e => e.Kind == RevocationEntry.KindJti).Select(e => e.Value)
            .ToFrozenSet(StringComparer.Ordinal);

        public FrozenSet<string> Grants { get; } =
            entries.Where(e => e.Kind == RevocationEntry.KindGrant).Select(e => e.Value).ToFrozenSet(StringComparer.Ordinal);

        public FrozenDictionary<string, RevocationEntry[]> Clients { get; } = entries.Where(e => e.Kind == RevocationEntry.KindClient)
            .GroupBy(e => e.Value, StringComparer.Ordinal).ToFrozenDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
    }

    public Snapshot Current => current;

    /// <summary>The snapshot, loading it first if this instance has not read the table yet.</summary>
    public async ValueTask<Snapshot> GetAsync(CancellationToken ct)
    {
        if (!loaded)
        {
            await RefreshAsync(ct);
        }

        return current;
    }

    /// <summary>Is a token with this jti, client, issue time and grant revoked now?</summary>
    public async ValueTask<bool> IsRevokedAsync(string? jti, string? clientId, DateTimeOffset? issuedAt, string? grantId,
        CancellationToken ct)
    {
        var snapshot = await GetAsync(ct);
        return IsRevoked(snapshot, jti, clientId, issuedAt, grantId, time.GetUtcNow());
    }

    public static bool IsRevoked(Snapshot snapshot, string? jti, string? clientId, DateTimeOffset? issuedAt, string? grantId,
        DateTimeOffset now)
    {
        if ((jti is not null && snapshot.Jtis.Contains(jti)) || (grantId is not null && snapshot.Grants.Contains(grantId)))
        {
            return true;
        }

        if (clientId is null || !snapshot.Clients.TryGetValue(clientId, out var cutoffs))
        {
            return false;
        }

        // A token without iat cannot prove it was issued after the cutoff.
        var issued = issuedAt?.UtcDateTime ?? DateTime.MinValue;
        return cutoffs.Any(c => now.UtcDateTime >= c.EffectiveAt && issued < c.NotBefore);
    }

    /// <summary>Reads rows after the current cursor and drops expired ones. Concurrent calls run one after another.</summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        await refreshing.WaitAsync(ct);
        try
        {
            var now = time.GetUtcNow().UtcDateTime;
            var before = current;
            var added = await store.ListSinceAsync(before.Cursor, now, ct);
            if (added.Count > 0 || before.Entries.Any(e => e.ExpiresAt < now))
            {
                var entries = before.Entries.Where(e => e.ExpiresAt >= now).Concat(added).ToList();
                current = new Snapshot(added.Count > 0 ? added[^1].Id : before.Cursor, entries);
            }

            loaded = true;
        }
        finally
        {
            refreshing.Release();
        }
    }
}
