using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace Shared.Protocol;

/// <summary>
/// What a public JWK must look like wherever a caller hands us one: an application's registered keys (private_key_jwt)
/// and the key in a DPoP proof's header. No private members (a private key pasted by mistake is never stored or
/// trusted), and only RSA of 2048 bits or more or EC P-256, the keys RS256, PS256 and ES256 need.
/// </summary>
public static class PublicJwk
{
    private static readonly string[] PrivateMembers = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

    public static bool HasPrivateMembers(JsonElement key) => PrivateMembers.Any(m => key.TryGetProperty(m, out _));

    public static bool IsStrongEnough(SecurityKey key) => key switch
    {
        JsonWebKey { Kty: "RSA" } rsa => rsa.KeySize >= 2048,
        RsaSecurityKey rsa => rsa.KeySize >= 2048,
        JsonWebKey { Kty: "EC", Crv: "P-256" } ec => !string.IsNullOrEmpty(ec.X) && !string.IsNullOrEmpty(ec.Y),
        ECDsaSecurityKey ec => ec.KeySize == 256,
        _ => false,
    };
}
