using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Shared.Protocol;
using TestSupport;
using TokenService.Keys;

namespace ResourceApi.Tests.Infrastructure;

/// <summary>
/// Access tokens the TokenService would never issue (expired, wrong audience, odd tenant...), signed with its real
/// current key unless a foreign key is asked for: each 401 case differs from a good token in exactly one way.
/// </summary>
public static class TokenForge
{
    public static string Create(
        TokenServiceHost tokenService,
        Uri issuer,
        string scope = Scopes.Admin,
        string? tenant = null,
        string? audience = "resource-api",
        string? issuerOverride = null,
        string type = ClaimNames.AccessTokenType,
        TimeSpan? expiresIn = null,
        TimeSpan? notBeforeIn = null,
        bool foreignKey = false)
    {
        var now = DateTime.UtcNow;
        var claims = new Dictionary<string, object>
        {
            [ClaimNames.Subject] = "forged-client",
            [ClaimNames.ClientId] = "forged-client",
            [ClaimNames.Scope] = scope,
            [ClaimNames.JwtId] = Guid.NewGuid().ToString("N"),
        };
        if (tenant is not null)
        {
            claims[ClaimNames.Tenant] = tenant;
        }

        var expires = now + (expiresIn ?? TimeSpan.FromMinutes(5));
        var notBefore = now + (notBeforeIn ?? TimeSpan.Zero);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuerOverride ?? issuer.ToString().TrimEnd('/'),
            Audience = audience,
            IssuedAt = notBefore < expires ? notBefore : expires.AddMinutes(-1),
            NotBefore = notBefore < expires ? notBefore : expires.AddMinutes(-1),
            Expires = expires,
            TokenType = type,
            Claims = claims,
            SigningCredentials = foreignKey
                ? new SigningCredentials(new RsaSecurityKey(RSA.Create(2048)) { KeyId = "foreign-key" }, SecurityAlgorithms.RsaSha256)
                : tokenService.Services.GetRequiredService<KeyRing>().Current!.Signer.Credentials,
        });
    }
}
