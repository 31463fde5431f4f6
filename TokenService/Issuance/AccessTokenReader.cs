using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Shared.Protocol;
using TokenService.Caching;
using TokenService.Keys;
using TokenService.Revocation;

namespace TokenService.Issuance;

/// <summary>The claims of an access token this service issued, as read back.</summary>
public sealed record AccessTokenClaims(
    string Jti, string ClientId, string? Subject, string? Scope, string? Tenant, string Issuer, IReadOnlyList<string> Audiences,
    DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt, DateTimeOffset? NotBefore, string? GrantId)
{
    /// <summary>RFC 9449 s.6.1: cnf.jkt, the thumbprint of the DPoP key the token is bound to; null: a Bearer token.</summary>
    public string? DPoPJkt { get; init; }

    public string[] ScopeList => Scopes.Split(Scope);
}

/// <summary>
/// The one reader of this service's own access tokens, for /userinfo, introspection, the management API and
/// revocation (issue 13 point 3): RS256 by a key of the key ring (published ones, so a token signed before a rotation
/// still reads), our issuer, one of our audiences (RFC 8707; a caller can demand one), typ at+jwt (RFC 9068 s.4).
/// <see cref="ValidateAsync"/> adds what makes a token usable now: its lifetime, and no revocation of its jti, its
/// grant or its client (deleted application, rotated-out secret), read from this instance's revocation list, which
/// the instance that revoked refreshes at once and every other instance on the change notification (issue 11
/// point 1: the same bound as the ResourceApi, usually less).
/// </summary>
public sealed class AccessTokenReader(
    KeyRing ring, IOptions<TokenServiceOptions> options, Audiences audiences, RevocationList revocations, ApplicationCache applications,
    TimeProvider time)
{
    /// <summary>Our own tokens are JWS compact strings far below this; anything longer is not ours.</summary>
    public const int MaxTokenLength = 8192;

    private readonly JsonWebTokenHandler handler = new() { MapInboundClaims = false };

    /// <summary>Signature, issuer, audience and type only: RFC 7009 revocation accepts an expired or revoked token.</summary>
    public async Task<AccessTokenClaims?> ReadAsync(string token, bool validateLifetime, string? audience = null)
    {
        if (token.Length > MaxTokenLength || ring.Current is not { } snapshot || token.Count(c => c == '.') != 2)
        {
            return null;
        }

        var result = await handler.ValidateTokenAsync(token, Parameters(snapshot, validateLifetime, audience));
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt ||
            !jwt.TryGetPayloadValue<string>(ClaimNames.JwtId, out var jti) || !jwt.TryGetPayloadValue<string>(ClaimNames.ClientId, out var clientId))
        {
            return null;
        }

        return new AccessTokenClaims(jti, clientId, Claim(jwt, ClaimNames.Subject), Claim(jwt, ClaimNames.Scope), Claim(jwt, ClaimNames.Tenant),
            jwt.Issuer, jwt.Audiences.ToArray(), new DateTimeOffset(jwt.IssuedAt, TimeSpan.Zero),
            new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero), jwt.ValidFrom == DateTime.MinValue ? null : new DateTimeOffset(jwt.ValidFrom, TimeSpan.Zero),
            Claim(jwt, ClaimNames.GrantId))
        {
            DPoPJkt = Thumbprint(jwt),
        };
    }

    private static string? Thumbprint(JsonWebToken jwt) =>
        jwt.TryGetPayloadValue<System.Text.Json.JsonElement>(DPoP.Confirmation, out var cnf) &&
        cnf.ValueKind == System.Text.Json.JsonValueKind.Object && cnf.TryGetProperty(DPoP.Thumbprint, out var jkt) &&
        jkt.ValueKind == System.Text.Json.JsonValueKind.String
            ? jkt.GetString()
            : null;

    /// <summary>
    /// A token usable now, for <paramref name="audience"/> (null: any of ours), or null. A database outage while the
    /// revocation list or the application is read throws (the caller answers 503): never "valid" by default.
    /// </summary>
    public async Task<AccessTokenClaims?> ValidateAsync(string token, string? audience, CancellationToken ct)
    {
        var claims = await ReadAsync(token, validateLifetime: true, audience);
        if (claims is null || await revocations.IsRevokedAsync(claims.Jti, claims.ClientId, claims.IssuedAt, claims.GrantId, ct))
        {
            return null;
        }

        return await applications.FindAsync(claims.ClientId, ct) is null ? null : claims;
    }

    private TokenValidationParameters Parameters(KeyRingSnapshot snapshot, bool validateLifetime, string? audience) => new()
    {
        ValidIssuer = options.Value.IssuerTrimmed,
        ValidAudiences = audience is null ? audiences.All : [audience],
        ValidateIssuer = true,
        ValidateAudience = true,
        ValidateLifetime = validateLifetime,
        RequireExpirationTime = true,
        RequireSignedTokens = true,
        ValidTypes = [ClaimNames.AccessTokenType],
        ValidAlgorithms = SigningAlgorithms.All,
        // Our own clock issued it: no skew.
        ClockSkew = TimeSpan.Zero,
        LifetimeValidator = validateLifetime ? LifetimeValidator : null,
        IssuerSigningKeyResolver = (_, _, kid, _) => snapshot.VerificationKeys.Where(k => kid is null || k.KeyId == kid),
        NameClaimType = ClaimNames.Subject,
    };

    /// <summary>Lifetime against the injected clock, so tests can move time.</summary>
    private bool LifetimeValidator(DateTime? notBefore, DateTime? expires, SecurityToken token, TokenValidationParameters parameters)
    {
        var now = time.GetUtcNow().UtcDateTime;
        return expires is { } exp && now < exp && (notBefore is not { } nbf || nbf <= now);
    }

    private static string? Claim(JsonWebToken jwt, string name) => jwt.TryGetPayloadValue<string>(name, out var value) ? value : null;
}
