using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Shared.Protocol;

namespace ResourceApi.Auth;

/// <summary>
/// The revocations this instance knows, from the TokenService's feed (<see cref="RevocationPoller"/>): jtis and
/// grants and client cut-offs, by hash. Checked after a token's signature and claims are valid; while nothing is revoked (the
/// usual case) the check is two empty-dictionary reads. Entries drop out once the tokens they cover have expired.
/// </summary>
internal sealed class RevokedTokens(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, long> jtis = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> grants = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Cutoff[]> clients = new(StringComparer.Ordinal);

    /// <summary>Client entry: tokens issued before <see cref="NotBefore"/> are dead from <see cref="EffectiveAt"/> on (Unix ms).</summary>
    private sealed record Cutoff(long NotBefore, long EffectiveAt, long ExpiresAt);

    public int Count => jtis.Count + grants.Count + clients.Count;

    public bool IsRevoked(string? jti, string? clientId, DateTime issuedAt, string? grantId = null)
    {
        if (jtis.IsEmpty && grants.IsEmpty && clients.IsEmpty)
        {
            return false;
        }

        if ((jti is not null && !jtis.IsEmpty && jtis.ContainsKey(RevocationFeed.Hash(jti))) ||
            (grantId is not null && !grants.IsEmpty && grants.ContainsKey(RevocationFeed.Hash(grantId))))
        {
            return true;
        }

        if (clientId is null || clients.IsEmpty || !clients.TryGetValue(RevocationFeed.Hash(clientId), out var cutoffs))
        {
            return false;
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var issued = issuedAt == DateTime.MinValue ? long.MinValue : new DateTimeOffset(issuedAt, TimeSpan.Zero).ToUnixTimeMilliseconds();
        return cutoffs.Any(c => now >= c.EffectiveAt && issued < c.NotBefore);
    }

    /// <summary>Merges entries from one feed page; applying the same entry twice changes nothing.</summary>
    public void Apply(JsonElement entries)
    {
        foreach (var entry in entries.EnumerateArray())
        {
            var id = entry.GetProperty(RevocationFeed.Id).GetString()!;
            var expiresAt = entry.GetProperty(RevocationFeed.ExpiresAt).GetInt64();
            var type = entry.GetProperty(RevocationFeed.Type).GetString();
            if (type == RevocationFeed.TypeJti)
            {
                jtis[id] = expiresAt;
            }
            else if (type == RevocationFeed.TypeGrant)
            {
                grants[id] = expiresAt;
            }
            else if (entry.TryGetProperty(RevocationFeed.NotBefore, out var notBefore))
            {
                var cutoff = new Cutoff(notBefore.GetInt64(), entry.GetProperty(RevocationFeed.EffectiveAt).GetInt64(), expiresAt);
                clients.AddOrUpdate(id, [cutoff], (_, existing) => existing.Contains(cutoff) ? existing : [.. existing, cutoff]);
            }
        }
    }

    public void Prune()
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var set in new[] { jtis, grants })
        {
            foreach (var (id, expiresAt) in set.Where(e => e.Value < now))
            {
                set.TryRemove(new KeyValuePair<string, long>(id, expiresAt));
            }
        }

        foreach (var (id, cutoffs) in clients)
        {
            var live = cutoffs.Where(c => c.ExpiresAt >= now).ToArray();
            if (live.Length == 0)
            {
                clients.TryRemove(new KeyValuePair<string, Cutoff[]>(id, cutoffs));
            }
            else if (live.Length != cutoffs.Length)
            {
                clients.TryUpdate(id, live, cutoffs);
            }
        }
    }

    /// <summary>JwtBearer's OnTokenValidated: a revoked token fails authentication, so the challenge is invalid_token.</summary>
    public static Task RejectRevokedAsync(TokenValidatedContext context)
    {
        var revoked = context.HttpContext.RequestServices.GetRequiredService<RevokedTokens>();
        if (context.SecurityToken is JsonWebToken jwt &&
            revoked.IsRevoked(jwt.Id, jwt.TryGetPayloadValue<string>(ClaimNames.ClientId, out var clientId) ? clientId : null, jwt.IssuedAt,
                jwt.TryGetPayloadValue<string>(ClaimNames.GrantId, out var grantId) ? grantId : null))
        {
            context.Fail("the access token has been revoked");
        }

        return Task.CompletedTask;
    }
}
