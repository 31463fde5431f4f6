using System.Net.Http.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace TestSupport;

/// <summary>
/// Verifies a token the way an independent resource server would: keys fetched from the JWKS endpoint over HTTP,
/// a separate JsonWebTokenHandler, nothing from the service's internals.
/// </summary>
public static class JwksVerifier
{
    /// <summary><paramref name="algorithm"/>: the one the service is configured to sign with (RS256 unless a test says).</summary>
    public static async Task<TokenValidationResult> ValidateAsync(HttpClient client, string token, string issuer, string audience,
        string algorithm = SecurityAlgorithms.RsaSha256)
    {
        var jwks = new JsonWebKeySet(await client.GetStringAsync("/.well-known/jwks.json"));
        return await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = issuer,
            ValidAudience = audience,
            IssuerSigningKeys = jwks.GetSigningKeys(),
            ValidTypes = ["at+jwt"],
            ValidAlgorithms = [algorithm],
            ClockSkew = TimeSpan.FromSeconds(30),
            RequireSignedTokens = true,
        });
    }
}
