using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Shared.Protocol;
using TokenService.Crypto;
using TokenService.Keys;

namespace TokenService.Issuance;

public sealed record IdTokenRequest(Guid UserId, string ClientId, DateTimeOffset AuthTime, string? Nonce, string AccessToken);

/// <summary>
/// OIDC Core s.2 ID tokens, signed with the key ring's current key (RS256 unless configured), typ JWT; iss, sub, aud
/// (the client), exp, iat, auth_time, nonce (when the request had one), at_hash (s.3.1.3.6) and azp. Profile and email
/// claims are served by /userinfo (s.5.4: with an access token issued, the claims come from the UserInfo endpoint).
/// </summary>
public sealed class IdTokenIssuer(KeyRing ring, IOptions<TokenServiceOptions> options, TimeProvider time)
{
    private readonly TokenServiceOptions settings = options.Value;

    public string Issue(IdTokenRequest request)
    {
        var signer = (ring.Current ?? throw new KeysNotLoadedException()).Signer;
        var now = time.GetUtcNow();
        var claims = new Claims(request, settings.IssuerTrimmed, now.ToUnixTimeSeconds(),
            now.AddSeconds(settings.AccessTokenLifetimeSeconds).ToUnixTimeSeconds());
        return JwtWriter.Write(signer, signer.IdTokenHeader, claims, static (json, c) => c.WriteTo(json));
    }

    private readonly record struct Claims(IdTokenRequest Request, string Issuer, long Now, long Expires)
    {
        public void WriteTo(Utf8JsonWriter json)
        {
            json.WriteString(JwtRegisteredClaimNames.Iss, Issuer);
            json.WriteString(ClaimNames.Subject, Request.UserId);
            json.WriteString(JwtRegisteredClaimNames.Aud, Request.ClientId);
            json.WriteNumber(JwtRegisteredClaimNames.Exp, Expires);
            json.WriteNumber(JwtRegisteredClaimNames.Iat, Now);
            json.WriteNumber(ClaimNames.AuthTime, Request.AuthTime.ToUnixTimeSeconds());
            json.WriteString(ClaimNames.AtHash, AtHash(Request.AccessToken));
            json.WriteString(ClaimNames.AuthorizedParty, Request.ClientId);
            if (Request.Nonce is not null)
            {
                json.WriteString(ClaimNames.Nonce, Request.Nonce);
            }
        }
    }

    /// <summary>
    /// OIDC Core s.3.1.3.6: base64url of the left half of SHA-256 (the hash of RS256, PS256 and ES256 alike) of the
    /// access token's ASCII.
    /// </summary>
    public static string AtHash(string accessToken) =>
        SecretGenerator.Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)).AsSpan(0, 16));
}
