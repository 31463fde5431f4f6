using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;
using Shared.Protocol;

namespace TokenService.Keys;

/// <summary>
/// The key that signs, opened once per key and shared by every request: RSA (RS256, PS256) or ECDSA P-256 (ES256).
/// The JOSE headers it signs under are fixed per key and token type, so they are serialised and base64url-encoded here
/// once instead of per token. RSA and ECDsa objects of .NET sign concurrently without locks (each call is its own
/// OpenSSL context).
/// </summary>
public sealed class TokenSigner
{
    private readonly RSA? rsa;
    private readonly ECDsa? ecdsa;
    private readonly RSASignaturePadding? padding;

    private TokenSigner(string kid, string algorithm, RSA? rsa, ECDsa? ecdsa)
    {
        Kid = kid;
        Algorithm = algorithm;
        this.rsa = rsa;
        this.ecdsa = ecdsa;
        padding = algorithm == SigningAlgorithms.PS256 ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;
        // RFC 7518 s.3.4: an ES256 signature is R || S, 32 bytes each; an RSA signature is as long as the modulus.
        SignatureLength = ecdsa is not null ? 64 : rsa!.KeySize / 8;
        AccessTokenHeader = EncodedHeader(ClaimNames.AccessTokenType);
        IdTokenHeader = EncodedHeader(TokenTypes.IdTokenType);
    }

    public string Kid { get; }

    public string Algorithm { get; }

    public int SignatureLength { get; }

    /// <summary>base64url of {"alg","kid","typ":"at+jwt"} (RFC 9068 s.2.1), ASCII.</summary>
    public byte[] AccessTokenHeader { get; }

    /// <summary>base64url of {"alg","kid","typ":"JWT"} (OIDC Core s.2), ASCII.</summary>
    public byte[] IdTokenHeader { get; }

    /// <summary>
    /// The same key for Microsoft.IdentityModel: the tests that forge tokens differing from real ones in one claim, and
    /// the comparison with JsonWebTokenHandler's output. Issuance and validation here never use it.
    /// </summary>
    public SigningCredentials Credentials => new(
        ecdsa is not null ? new ECDsaSecurityKey(ecdsa) { KeyId = Kid } : new RsaSecurityKey(rsa!) { KeyId = Kid }, Algorithm);

    public static TokenSigner Create(string kid, string algorithm, AsymmetricAlgorithm key) => (algorithm, key) switch
    {
        (SigningAlgorithms.RS256 or SigningAlgorithms.PS256, RSA r) => new TokenSigner(kid, algorithm, r, null),
        (SigningAlgorithms.ES256, ECDsa e) when e.KeySize == 256 => new TokenSigner(kid, algorithm, null, e),
        _ => throw new CryptographicException($"key {kid} does not fit its algorithm {algorithm}"),
    };

    /// <summary>Signs <paramref name="data"/> (the JWS signing input) into <paramref name="signature"/>; returns its length.</summary>
    public int Sign(ReadOnlySpan<byte> data, Span<byte> signature)
    {
        var signed = ecdsa is not null
            ? ecdsa.TrySignData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation,
                out var written)
            : rsa!.TrySignData(data, signature, HashAlgorithmName.SHA256, padding!, out written);
        return signed ? written : throw new CryptographicException("the signature did not fit its buffer");
    }

    private byte[] EncodedHeader(string type)
    {
        using var buffer = new MemoryStream();
        // Relaxed escaping: the default encoder writes the '+' of at+jwt as \u002B, which is valid JSON but not what
        // any reader expects to see. Every value here is ours (algorithm, base64url kid, type).
        var relaxed = new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        using (var json = new Utf8JsonWriter(buffer, relaxed))
        {
            json.WriteStartObject();
            json.WriteString("alg", Algorithm);
            json.WriteString("kid", Kid);
            json.WriteString("typ", type);
            json.WriteEndObject();
        }

        return Base64Url.EncodeToUtf8(buffer.ToArray());
    }
}
