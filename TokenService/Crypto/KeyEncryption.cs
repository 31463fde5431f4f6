using System.Security.Cryptography;
using System.Text;

namespace TokenService.Crypto;

/// <summary>
/// Seals signing keys at rest with AES-256-GCM under the key-encryption key (KEK) from configuration.
/// Layout: nonce (12) || ciphertext || tag (16). The key id is the associated data, so a sealed blob
/// moved to another row does not open.
/// </summary>
public sealed class KeyEncryption
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] kek;

    public KeyEncryption(byte[] kek)
    {
        if (kek.Length != 32)
        {
            throw new ArgumentException("the key-encryption key must be 32 bytes", nameof(kek));
        }

        this.kek = kek;
    }

    /// <summary>Parses KEY_ENCRYPTION_KEY: base64 of exactly 32 bytes.</summary>
    public static bool TryParse(string? base64, out KeyEncryption? encryption)
    {
        encryption = null;
        if (string.IsNullOrWhiteSpace(base64))
        {
            return false;
        }

        var bytes = new byte[64];
        if (!Convert.TryFromBase64String(base64.Trim(), bytes, out var written) || written != 32)
        {
            return false;
        }

        encryption = new KeyEncryption(bytes[..32]);
        return true;
    }

    public byte[] Seal(ReadOnlySpan<byte> plaintext, string keyId)
    {
        var sealedBlob = new byte[NonceSize + plaintext.Length + TagSize];
        var nonce = sealedBlob.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(kek, TagSize);
        aes.Encrypt(nonce, plaintext, sealedBlob.AsSpan(NonceSize, plaintext.Length),
            sealedBlob.AsSpan(NonceSize + plaintext.Length), Encoding.UTF8.GetBytes(keyId));
        return sealedBlob;
    }

    /// <summary>Throws <see cref="CryptographicException"/> when the KEK is wrong or the blob was altered.</summary>
    public byte[] Open(ReadOnlySpan<byte> sealedBlob, string keyId)
    {
        if (sealedBlob.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("sealed key is truncated");
        }

        var length = sealedBlob.Length - NonceSize - TagSize;
        var plaintext = new byte[length];
        using var aes = new AesGcm(kek, TagSize);
        aes.Decrypt(sealedBlob[..NonceSize], sealedBlob.Slice(NonceSize, length), sealedBlob[(NonceSize + length)..],
            plaintext, Encoding.UTF8.GetBytes(keyId));
        return plaintext;
    }
}
