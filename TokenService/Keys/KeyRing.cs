using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace TokenService.Keys;

/// <summary>
/// The keys this process uses, as one immutable snapshot swapped atomically: readers on the hot path take
/// <see cref="Current"/> once and never see a half-updated ring.
/// </summary>
public sealed class KeyRing
{
    private volatile KeyRingSnapshot? current;

    /// <summary>Null until the first load from the database succeeded (readiness depends on it).</summary>
    public KeyRingSnapshot? Current => current;

    public void Replace(KeyRingSnapshot snapshot) => current = snapshot;
}

/// <summary>One consistent view: the key that signs, every published public key, and the JWKS document bytes.</summary>
public sealed class KeyRingSnapshot
{
    public KeyRingSnapshot(string signingKid, RSA signingRsa, IReadOnlyList<SigningKey> published, DateTimeOffset loadedAt)
    {
        var securityKey = new RsaSecurityKey(signingRsa) { KeyId = signingKid };
        SigningCredentials = new SigningCredentials(securityKey, SecurityAlgorithms.RsaSha256);
        PublishedKeys = published;
        VerificationKeys = published.Select(k => (SecurityKey)new RsaSecurityKey(new RSAParameters
        {
            Modulus = Base64UrlEncoder.DecodeBytes(k.PublicModulus),
            Exponent = Base64UrlEncoder.DecodeBytes(k.PublicExponent),
        })
        { KeyId = k.Kid }).ToList();
        JwksJson = BuildJwks(published);
        LoadedAt = loadedAt;
    }

    public SigningCredentials SigningCredentials { get; }

    public string SigningKid => SigningCredentials.Key.KeyId;

    public IReadOnlyList<SigningKey> PublishedKeys { get; }

    /// <summary>The public keys of <see cref="PublishedKeys"/>, to validate tokens this service issued.</summary>
    public IReadOnlyList<SecurityKey> VerificationKeys { get; }

    /// <summary>RFC 7517 JWK Set, serialised once per snapshot.</summary>
    public byte[] JwksJson { get; }

    public DateTimeOffset LoadedAt { get; }

    private static byte[] BuildJwks(IReadOnlyList<SigningKey> keys)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("keys");
            foreach (var key in keys)
            {
                json.WriteStartObject();
                json.WriteString("kty", "RSA");
                json.WriteString("use", "sig");
                json.WriteString("alg", key.Algorithm);
                json.WriteString("kid", key.Kid);
                json.WriteString("n", key.PublicModulus);
                json.WriteString("e", key.PublicExponent);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
