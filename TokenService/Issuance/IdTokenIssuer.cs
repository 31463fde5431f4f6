using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Shared.Protocol;
using TokenService.Crypto;
using TokenService.Keys;

namespace TokenService.Issuance;

public sealed record IdTokenRequest(Guid UserId, string ClientId, DateTimeOffset AuthTime, string? Nonce, string AccessToken);

/// <summary>
/// OIDC Core s.2 ID tokens: RS256 with the key ring's current key, typ JWT; iss, sub, aud (the client), exp, iat,
/// auth_time, nonce (when the request had one), at_hash (s.3.1.3.6) and azp. Profile and email claims are served by
/// /userinfo (s.5.4: with an access token issued, the claims come from the UserInfo endpoint).
/// </summary>
public sealed class IdTokenIssuer(KeyRing ring, IOptions<TokenServiceOptions> options, TimeProvider time)
{
    private readonly JsonWebTokenHandler handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly TokenServiceOptions settings = options.Value;

    public string Issue(IdTokenRequest request)
    {
        var snapshot = ring.Current ?? throw new KeysNotLoadedException();
        var now = time.GetUtcNow();
        var claims = new Dictionary<string, object>(6)
        {
            [ClaimNames.Subject] = request.UserId.ToString(),
            [ClaimNames.AuthTime] = request.AuthTime.ToUnixTimeSeconds(),
            [ClaimNames.AtHash] = AtHash(request.AccessToken),
            [ClaimNames.AuthorizedParty] = request.ClientId,
        };
        if (request.Nonce is not null)
        {
            claims[ClaimNames.Nonce] = request.Nonce;
        }

        return handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = settings.IssuerTrimmed,
            Audience = request.ClientId,
            IssuedAt = now.UtcDateTime,
            Expires = now.AddSeconds(settings.AccessTokenLifetimeSeconds).UtcDateTime,
            TokenType = TokenTypes.IdTokenType,
            Claims = claims,
            SigningCredentials = snapshot.SigningCredentials,
        });
    }

    /// <summary>OIDC Core s.3.1.3.6: base64url of the left half of SHA-256 (RS256's hash) of the access token's ASCII.</summary>
    public static string AtHash(string accessToken) =>
        SecretGenerator.Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)).AsSpan(0, 16));
}
