using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
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
/// RFC 9068 JWT access tokens: header typ at+jwt, alg (the key ring's: RS256 unless configured), kid; claims iss, sub,
/// aud, exp, iat, nbf, jti, client_id, scope, tenant, policy_values and, for a DPoP-bound token, cnf.jkt (RFC 9449
/// s.6.1). Written by <see cref="JwtWriter"/> straight from the request: no claims dictionary, no serializer.
/// </summary>
public sealed class AccessTokenIssuer(KeyRing ring, IOptions<TokenServiceOptions> options, TimeProvider time)
{
    private readonly TokenServiceOptions settings = options.Value;

    public IssuedAccessToken Issue(AccessTokenRequest request)
    {
        var signer = (ring.Current ?? throw new KeysNotLoadedException()).Signer;
        var now = time.GetUtcNow();
        // Validated against MaxAccessTokenLifetimeSeconds when set; capped here too, should the setting shrink later.
        var lifetime = Math.Min(request.LifetimeSeconds ?? settings.AccessTokenLifetimeSeconds, settings.LongestAccessTokenLifetimeSeconds);
        if (request.NotAfter is { } notAfter && notAfter < now.AddSeconds(lifetime).UtcDateTime)
        {
            lifetime = Math.Max(1, (int)(notAfter - now.UtcDateTime).TotalSeconds);
        }

        var expires = now.AddSeconds(lifetime);
        Span<byte> random = stackalloc byte[16];
        RandomNumberGenerator.Fill(random);
        var jti = SecretGenerator.Base64Url(random);
        var claims = new Claims(request, settings, now.ToUnixTimeSeconds(), expires.ToUnixTimeSeconds(), jti);
        var jwt = JwtWriter.Write(signer, signer.AccessTokenHeader, claims, static (json, c) => c.WriteTo(json));
        return new IssuedAccessToken(jwt, jti, lifetime, expires);
    }

    private readonly record struct Claims(AccessTokenRequest Request, TokenServiceOptions Settings, long Now, long Expires, string Jti)
    {
        public void WriteTo(Utf8JsonWriter json)
        {
            var request = Request;
            var carried = request.CarriedClaims;
            json.WriteString(JwtRegisteredClaimNames.Iss, Settings.IssuerTrimmed);
            json.WriteString(ClaimNames.Subject, request.Subject);
            // RFC 7519 s.4.1.3: one audience is a string, several an array.
            if (request.Audiences is { Count: > 1 } several)
            {
                json.WriteStartArray(JwtRegisteredClaimNames.Aud);
                foreach (var audience in several)
                {
                    json.WriteStringValue(audience);
                }

                json.WriteEndArray();
            }
            else
            {
                json.WriteString(JwtRegisteredClaimNames.Aud, request.Audiences is [var one] ? one : Settings.Audience);
            }

            json.WriteNumber(JwtRegisteredClaimNames.Exp, Expires);
            json.WriteNumber(JwtRegisteredClaimNames.Iat, Now);
            json.WriteNumber(JwtRegisteredClaimNames.Nbf, Now);
            json.WriteString(ClaimNames.JwtId, Jti);
            json.WriteString(ClaimNames.ClientId, request.ClientId);
            json.WriteString(ClaimNames.Scope, string.Join(' ', request.Scopes));
            if (request.Tenant is not null)
            {
                json.WriteString(ClaimNames.Tenant, request.Tenant);
            }

            // One claim holds every placeholder value, the tenant's included, so ${{ tenant }} is the tenant on every
            // grant. Token exchange carries the subject's claim instead (below).
            var carriesValues = carried?.ContainsKey(ClaimNames.PolicyValues) == true;
            if (!carriesValues && (request.PolicyValues is { Count: > 0 } || request.Tenant is not null))
            {
                json.WriteStartObject(ClaimNames.PolicyValues);
                foreach (var (name, value) in request.PolicyValues ?? Empty)
                {
                    if (request.Tenant is null || name != Shared.Protocol.PolicyValues.TenantName)
                    {
                        json.WriteString(name, value);
                    }
                }

                if (request.Tenant is not null)
                {
                    json.WriteString(Shared.Protocol.PolicyValues.TenantName, request.Tenant);
                }

                json.WriteEndObject();
            }

            // Token exchange: the subject's act and policy_values as they were. Never its cnf: the new token is bound
            // only to a key this request proved.
            foreach (var (name, value) in carried ?? EmptyCarried)
            {
                if (name != DPoP.Confirmation)
                {
                    json.WritePropertyName(name);
                    WriteValue(json, value);
                }
            }

            if (request.DPoPJkt is { } jkt)
            {
                json.WriteStartObject(DPoP.Confirmation);
                json.WriteString(DPoP.Thumbprint, jkt);
                json.WriteEndObject();
            }

            if (request.GrantId is { } grantId)
            {
                json.WriteString(ClaimNames.GrantId, grantId);
            }
        }

        private static void WriteValue(Utf8JsonWriter json, object value)
        {
            switch (value)
            {
                case JsonElement element:
                    element.WriteTo(json);
                    break;
                case string text:
                    json.WriteStringValue(text);
                    break;
                case IEnumerable<KeyValuePair<string, object>> members:
                    json.WriteStartObject();
                    foreach (var (name, member) in members)
                    {
                        json.WritePropertyName(name);
                        WriteValue(json, member);
                    }

                    json.WriteEndObject();
                    break;
                default:
                    throw new ArgumentException($"a carried claim of type {value.GetType().Name} cannot be written");
            }
        }
    }

    private static readonly Dictionary<string, string> Empty = [];
    private static readonly Dictionary<string, object> EmptyCarried = [];
}

/// <summary>The key ring has not loaded yet (database unreachable at start): the caller answers 503.</summary>
public sealed class KeysNotLoadedException() : Exception("signing keys are not loaded yet");
