using System.Security.Cryptography;
using System.Text;

namespace TokenService.Crypto;

/// <summary>
/// Authorization codes and refresh tokens: 256 random bits, base64url, meaningful only to us. The database keeps
/// the SHA-256 of the token, never the token: a leaked table grants nothing. A fast hash is enough here, unlike
/// passwords, because the input already has 256 bits of entropy.
/// </summary>
public static class OpaqueToken
{
    public const int MaxLength = 100;

    public static string New() => SecretGenerator.Base64Url(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
