using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using Shared.Protocol;

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
    public KeyRingSnapshot(TokenSigner signer, IReadOnlyList<SigningKey> published, DateTimeOffset loadedAt)
    {
        Signer = signer;
        PublishedKeys = published;
        VerificationKeys = published.Select(PublicKeyOf).ToList();
        JwksJson = BuildJwks(published);
        LoadedAt = loadedAt;
    }

    public TokenSigner Signer { get; }

    public string SigningKid => Signer.Kid;

    public IReadOnlyList<SigningKey> PublishedKeys { get; }

    /// <summary>The public keys of <see cref="PublishedKeys"/>, to validate tokens this service issued.</summary>
    public IReadOnlyList<SecurityKey> VerificationKeys { get; }

    /// <summary>RFC 7517 JWK Set, serialised once per snapshot.</summary>
    public byte[] JwksJson { get; }

    public DateTimeOffset LoadedAt { get; }

    private static SecurityKey PublicKeyOf(SigningKey key) => key.Algorithm == SigningAlgorithms.ES256
        ? new ECDsaSecurityKey(ECDsa.Create(new ECParameters
        {
            Curve = ECCurve.NamedCurves.nistP256,
            Q = new ECPoint { X = Base64UrlEncoder.DecodeBytes(key.PublicX), Y = Base64UrlEncoder.DecodeBytes(key.PublicY) },
        }))
        { KeyId = key.Kid }
        : new RsaSecurityKey(new RSAParameters
        {
            Modulus = Base64UrlEncoder.DecodeBytes(key.PublicModulus),
            Exponent = Base64UrlEncoder.DecodeBytes(key.PublicExponent),
        })
        { KeyId = key.Kid };

    private static byte[] BuildJwks(IReadOnlyList<SigningKey> keys)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("keys");
            foreach (var key in keys)
            {
                // RFC 7518 s.6.2.1 (EC: crv, x, y) and s.6.3.1 (RSA: n, e); alg pins each key to its one algorithm.
                json.WriteStartObject();
                json.WriteString("kty", key.Algorithm == SigningAlgorithms.ES256 ? "EC" : "RSA");
                json.WriteString("use", "sig");
                json.WriteString("alg", key.Algorithm);
                json.WriteString("kid", key.Kid);
                if (key.Algorithm == SigningAlgorithms.ES256)
                {
                    json.WriteString("crv", "P-256");
                    json.WriteString("x", key.PublicX);
                    json.WriteString("y", key.PublicY);
                }
                else
                {
                    json.WriteString("n", key.PublicModulus);
                    json.WriteString("e", key.PublicExponent);
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
