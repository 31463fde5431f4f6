using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using TokenService.Keys;

namespace TokenService.Issuance;

/// <summary>
/// Writes a compact JWS (RFC 7515 s.7.1): base64url(header) '.' base64url(claims) '.' base64url(signature). The claims
/// go straight from the caller into a per-thread buffer (<see cref="PerThreadJson"/>), the header comes
/// pre-encoded from the <see cref="TokenSigner"/>, and the signing input is assembled in a pooled array, so a token
/// costs its one string and little else (JsonWebTokenHandler.CreateToken allocated about 17 KB per token).
/// </summary>
public static class JwtWriter
{
    /// <summary>
    /// <paramref name="writeClaims"/> writes the claims' members (the enclosing object is written here); it runs
    /// synchronously on this thread and must not keep the writer.
    /// </summary>
    public static string Write<TState>(TokenSigner signer, byte[] encodedHeader, TState state, Action<Utf8JsonWriter, TState> writeClaims)
    {
        var claims = PerThreadJson.Write((state, writeClaims), static (json, s) =>
        {
            json.WriteStartObject();
            s.writeClaims(json, s.state);
            json.WriteEndObject();
        });

        var claimsLength = Base64Url.GetEncodedLength(claims.Length);
        var signingInputLength = encodedHeader.Length + 1 + claimsLength;
        var total = signingInputLength + 1 + Base64Url.GetEncodedLength(signer.SignatureLength);
        var jws = ArrayPool<byte>.Shared.Rent(total);
        try
        {
            encodedHeader.CopyTo(jws, 0);
            jws[encodedHeader.Length] = (byte)'.';
            Base64Url.EncodeToUtf8(claims, jws.AsSpan(encodedHeader.Length + 1, claimsLength));
            Span<byte> signature = stackalloc byte[signer.SignatureLength];
            var signatureLength = signer.Sign(jws.AsSpan(0, signingInputLength), signature);
            jws[signingInputLength] = (byte)'.';
            var written = Base64Url.EncodeToUtf8(signature[..signatureLength], jws.AsSpan(signingInputLength + 1));
            return Encoding.ASCII.GetString(jws, 0, signingInputLength + 1 + written);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(jws);
        }
    }
}
