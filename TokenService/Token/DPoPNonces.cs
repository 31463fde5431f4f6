using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using TokenService.Crypto;

namespace TokenService.Token;

/// <summary>
/// RFC 9449 s.8 server nonces without state: a nonce is an HMAC of the current time window, under a key derived from
/// the key-encryption key every instance shares, so any instance accepts a nonce another handed out, and none keeps
/// a list. The current and the previous window are accepted, so a nonce lives one to two windows.
/// </summary>
public sealed class DPoPNonces(IOptions<TokenServiceOptions> options, TimeProvider time)
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    private readonly byte[] key = DeriveKey(options.Value.KeyEncryptionKey);

    public string Current() => Make(WindowNumber());

    public bool IsCurrent(string? nonce)
    {
        if (nonce is null || nonce.Length > 64)
        {
            return false;
        }

        var window = WindowNumber();
        var given = Encoding.ASCII.GetBytes(nonce);
        return CryptographicOperations.FixedTimeEquals(given, Encoding.ASCII.GetBytes(Make(window))) ||
               CryptographicOperations.FixedTimeEquals(given, Encoding.ASCII.GetBytes(Make(window - 1)));
    }

    private long WindowNumber() => time.GetUtcNow().ToUnixTimeSeconds() / (long)Window.TotalSeconds;

    private string Make(long window) =>
        SecretGenerator.Base64Url(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes($"dpop-nonce:{window}")).AsSpan(0, 16));

    /// <summary>
    /// HKDF from the KEK with its own label: the nonce key says nothing about the KEK. Without a KEK (a developer's
    /// machine), a random key: nonces then hold on this instance only.
    /// </summary>
    private static byte[] DeriveKey(string? kek)
    {
        var bytes = new byte[64];
        return kek is not null && Convert.TryFromBase64String(kek.Trim(), bytes, out var written) && written == 32
            ? HKDF.DeriveKey(HashAlgorithmName.SHA256, bytes.AsSpan(0, 32).ToArray(), 32, info: Encoding.ASCII.GetBytes("dpop-nonce"))
            : RandomNumberGenerator.GetBytes(32);
    }
}
