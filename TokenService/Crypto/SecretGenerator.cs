using System.Security.Cryptography;

namespace TokenService.Crypto;

/// <summary>Client ids and secrets from the OS CSPRNG.</summary>
public static class SecretGenerator
{
    /// <summary>
    /// Recognisable prefix so secret scanners (GitHub push protection, trufflehog rules) can spot a leaked secret;
    /// the rest is 256 random bits, base64url: <c>tss_</c> + 43 characters.
    /// </summary>
    public const string SecretPrefix = "tss_";

    private const string Base32 = "abcdefghijklmnopqrstuvwxyz234567";

    public static string NewSecret() => SecretPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>128 random bits as 26 lowercase base32 characters: safe in URLs, forms and Basic headers.</summary>
    public static string NewClientId() => RandomBase32(26);

    public static string Base64Url(ReadOnlySpan<byte> bytes) =>
        System.Buffers.Text.Base64Url.EncodeToString(bytes);

    public static string RandomBase32(int length) => RandomNumberGenerator.GetString(Base32, length);
}
