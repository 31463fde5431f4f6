using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Shared.Protocol;
using TokenService.Crypto;
using TokenService.Keys;

namespace TokenService.Issuance;

public sealed record AccessTokenRequest(string Subject, string ClientId, IReadOnlyList<string> Scopes, string? Tenant)
{
    /// <summary>The token expires no later than this (a credential in its rotation grace period), however long the lifetime.</summary>
    public DateTime? NotAfter { get; init; }

    /// <summary>The grant a user's token belongs to (code, refresh family): revoking the grant revokes this token.</summary>
    public Guid? GrantId { get; init; }

    /// <summary>RFC 8707: the APIs the token is for (Audiences.Select); none given: the ResourceApi.</summary>
    public IReadOnlyList<string>? Audiences { get; init; }

    /// <summary>Access Policy placeholder values (issue 15); the tenant joins them as <c>tenant</c>.</summary>
    public IReadOnlyDictionary<string, string>? PolicyValues { get; init; }

    /// <summary>The application's own lifetime (issue 17 point 4); null: the server's AccessTokenLifetimeSeconds.</summary>
    public int? LifetimeSeconds { get; init; }

    /// <summary>RFC 9449 s.6.1: the thumbprint of the DPoP key the token is bound to, as <c>cnf.jkt</c>; null: a Bearer token.</summary>
    public string? DPoPJkt { get; init; }

    /// <summary>RFC 8693 token exchange: claims carried over unchanged (act, policy_values), by name.</summary>
    public IReadOnlyDictionary<string, object>? CarriedClaims { get; init; }
}

public sealed record IssuedAccessToken(string Jwt, string Jti, int ExpiresIn, DateTimeOffset ExpiresAt);

/// <summary>
/// RFC 9068 JWT access tokens: header typ at+jwt, alg RS256, kid; claims iss, sub, aud, exp, iat, nbf, jti,
/// client_id, scope, tenant, policy_values and, for a DPoP-bound token, cnf.jkt (RFC 9449 s.6.1).
/// Signs with the key ring's current key via JsonWebTokenHandler (the fast path).
/// </summary>
public sealed class AccessTokenIssuer(KeyRing ring, IOptions<TokenServiceOptions> options, TimeProvider time)
{
    private readonly JsonWebTokenHandler handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly TokenServiceOptions settings = options.Value;

    public IssuedAccessToken Issue(AccessTokenRequest request)
    {
        var snapshot = ring.Current ?? throw new KeysNotLoadedException();
        var now = time.GetUtcNow();
        // Validated against MaxAccessTokenLifetimeSeconds when set; capped here too, should the setting shrink later.
        var lifetime = Math.Min(request.LifetimeSeconds ?? settings.AccessTokenLifetimeSeconds, settings.LongestAccessTokenLifetimeSeconds);
        if (request.NotAfter is { } notAfter && notAfter < now.AddSeconds(lifetime).UtcDateTime)
        {
            lifetime = Math.Max(1, (int)(notAfter - now.UtcDateTime).TotalSeconds);
        }

        var expires = now.AddSeconds(lifetime);
        var jti = SecretGenerator.Base64Url(RandomNumberGenerator.GetBytes(16));
        var claims = new Dictionary<string, object>(6)
        {
            [ClaimNames.Subject] = request.Subject,
            [ClaimNames.ClientId] = request.ClientId,
            [ClaimNames.Scope] = string.Join(' ', request.Scopes),
            [ClaimNames.JwtId] = jti,
        };
        if (request.Tenant is not null)
        {
            claims[ClaimNames.Tenant] = request.Tenant;
        }

        // One claim holds every placeholder value, the tenant's included, so ${{ tenant }} is the tenant on every grant.
        var policyValues = new Dictionary<string, string>(request.PolicyValues ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        if (request.Tenant is not null)
        {
            policyValues[Shared.Protocol.PolicyValues.TenantName] = request.Tenant;
        }

        if (policyValues.Count > 0)
        {
            using var document = JsonDocument.Parse(Shared.Protocol.PolicyValues.ToJson(policyValues));
            claims[ClaimNames.PolicyValues] = document.RootElement.Clone();
        }

        // Token exchange: the subject's act and policy_values as they were (they replace what was built above).
        foreach (var (name, value) in request.CarriedClaims ?? new Dictionary<string, object>())
        {
            claims[name] = value;
        }

        // After the carried claims: a subject token's cnf never binds the new token to a key this request did not prove.
        claims.Remove(DPoP.Confirmation);
        if (request.DPoPJkt is { } jkt)
        {
            claims[DPoP.Confirmation] = new Dictionary<string, object> { [DPoP.Thumbprint] = jkt };
        }

        if (request.GrantId is { } grantId)
        {
            claims[ClaimNames.GrantId] = grantId.ToString();
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = settings.IssuerTrimmed,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            TokenType = ClaimNames.AccessTokenType,
            Claims = claims,
            SigningCredentials = snapshot.SigningCredentials,
        };
        // RFC 7519 s.4.1.3: one audience is a string, several an array.
        foreach (var audience in request.Audiences is { Count: > 0 } named ? named : [settings.Audience])
        {
            descriptor.Audiences.Add(audience);
        }

        var jwt = handler.CreateToken(descriptor);
        return new IssuedAccessToken(jwt, jti, lifetime, expires);
    }
}

/// <summary>The key ring has not loaded yet (database unreachable at start): the caller answers 503.</summary>
public sealed class KeysNotLoadedException() : Exception("signing keys are not loaded yet");
