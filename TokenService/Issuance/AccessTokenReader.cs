using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Shared.Protocol;
using TokenService.Keys;

namespace TokenService.Issuance;

/// <summary>The claims of an access token this service issued, as read back by revocation and introspection.</summary>
public sealed record AccessTokenClaims(
    string Jti, string ClientId, string? Subject, string? Scope, string? Tenant, string Issuer, string? Audience,
    DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt, DateTimeOffset? NotBefore);

/// <summary>
/// Reads back a JWT access token this service issued: RS256 by a key of the key ring (published ones, so a token
/// signed before a rotation still reads), our issuer and audience, typ at+jwt (RFC 9068 s.4). Lifetime is checked
/// only when asked: revocation (RFC 7009) accepts an expired token and has nothing to do; introspection does not.
/// </summary>
public sealed class AccessTokenReader(KeyRing ring, IOptions<TokenServiceOptions> options, TimeProvider time)
{
    /// <summary>Our own tokens are JWS compact strings far below this; anything longer is not ours.</summary>
    public const int MaxTokenLength = 8192;

    private readonly JsonWebTokenHandler handler = new() { MapInboundClaims = false };

    public async Task<AccessTokenClaims?> ReadAsync(string token, bool validateLifetime)
    {
        if (token.Length > MaxTokenLength || ring.Current is not { } snapshot || token.Count(c => c == '.') != 2)
        {
            return null;
        }

        var result = await handler.ValidateTokenAsync(token, Parameters(snapshot, validateLifetime));
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt ||
            !jwt.TryGetPayloadValue<string>(ClaimNames.JwtId, out var jti) || !jwt.TryGetPayloadValue<string>(ClaimNames.ClientId, out var clientId))
        {
            return null;
        }

        return new AccessTokenClaims(jti, clientId, Claim(jwt, ClaimNames.Subject), Claim(jwt, ClaimNames.Scope), Claim(jwt, ClaimNames.Tenant),
            jwt.Issuer, jwt.Audiences.FirstOrDefault(), new DateTimeOffset(jwt.IssuedAt, TimeSpan.Zero),
            new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero), jwt.ValidFrom == DateTime.MinValue ? null : new DateTimeOffset(jwt.ValidFrom, TimeSpan.Zero));
    }

    /// <summary>The validation rules, shared with the management API's bearer authentication.</summary>
    public TokenValidationParameters Parameters(KeyRingSnapshot? snapshot, bool validateLifetime) => new()
    {
        ValidIssuer = options.Value.IssuerTrimmed,
        ValidAudience = options.Value.Audience,
        ValidateIssuer = true,
        ValidateAudience = true,
        ValidateLifetime = validateLifetime,
        RequireExpirationTime = true,
        RequireSignedTokens = true,
        ValidTypes = [ClaimNames.AccessTokenType],
        ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
        // Our own clock issued it: no skew.
        ClockSkew = TimeSpan.Zero,
        LifetimeValidator = validateLifetime ? LifetimeValidator : null,
        // Read the ring at validation time, so a key added since these parameters were built is found.
        IssuerSigningKeyResolver = (_, _, kid, _) => (snapshot ?? ring.Current)?.VerificationKeys.Where(k => kid is null || k.KeyId == kid)
                                                    ?? [],
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
