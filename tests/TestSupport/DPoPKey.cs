using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace TestSupport;

/// <summary>
/// A client's DPoP key and the proofs it makes (RFC 9449 s.4.2), built here with Microsoft.IdentityModel, independently
/// of the service's verifier: Duende's DPoPProofTokenFactory (Duende.IdentityModel.OidcClient.Extensions) is not served
/// by the package mirror. Every field a hostile test needs to get wrong can be overridden.
/// </summary>
public sealed class DPoPKey : IDisposable
{
    private readonly RSA? rsa;
    private readonly ECDsa? ec;

    private DPoPKey(RSA? rsa, ECDsa? ec) => (this.rsa, this.ec) = (rsa, ec);

    public static DPoPKey Rsa() => new(RSA.Create(2048), null);

    public static DPoPKey Ec() => new(null, ECDsa.Create(ECCurve.NamedCurves.nistP256));

    public string Algorithm => rsa is not null ? SecurityAlgorithms.RsaSsaPssSha256 : SecurityAlgorithms.EcdsaSha256;

    public SecurityKey SigningKey => rsa is not null ? new RsaSecurityKey(rsa) : new ECDsaSecurityKey(ec);

    /// <summary>The public JWK, as the proof's header carries it.</summary>
    public Dictionary<string, object> PublicJwk()
    {
        if (rsa is not null)
        {
            var p = rsa.ExportParameters(false);
            return new() { ["kty"] = "RSA", ["n"] = Base64UrlEncoder.Encode(p.Modulus), ["e"] = Base64UrlEncoder.Encode(p.Exponent) };
        }

        var q = ec!.ExportParameters(false);
        return new() { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = Base64UrlEncoder.Encode(q.Q.X), ["y"] = Base64UrlEncoder.Encode(q.Q.Y) };
    }

    /// <summary>RFC 7638 s.3.2, computed by hand: SHA-256 of the required members in lexical order, no whitespace.</summary>
    public string Thumbprint()
    {
        var jwk = PublicJwk();
        var canonical = rsa is not null
            ? $"{{\"e\":\"{jwk["e"]}\",\"kty\":\"RSA\",\"n\":\"{jwk["n"]}\"}}"
            : $"{{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"{jwk["x"]}\",\"y\":\"{jwk["y"]}\"}}";
        return Base64UrlEncoder.Encode(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }

    /// <summary>
    /// A proof for <paramref name="method"/> <paramref name="url"/>; with <paramref name="accessToken"/> it carries ath.
    /// <paramref name="signWith"/> signs with another key than the one in the header; <paramref name="jwk"/> replaces the header key.
    /// </summary>
    public string Proof(string method, string url, string? accessToken = null, string? nonce = null, string? jti = null,
        DateTimeOffset? issuedAt = null, string typ = "dpop+jwt", DPoPKey? signWith = null, Dictionary<string, object>? jwk = null,
        bool withAth = true)
    {
        var claims = new Dictionary<string, object>
        {
            ["jti"] = jti ?? Guid.NewGuid().ToString("N"), ["htm"] = method, ["htu"] = url,
        };
        if (accessToken is not null && withAth)
        {
            claims["ath"] = Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)));
        }

        if (nonce is not null)
        {
            claims["nonce"] = nonce;
        }

        var signer = signWith ?? this;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            TokenType = typ,
            IssuedAt = (issuedAt ?? DateTimeOffset.UtcNow).UtcDateTime,
            Claims = claims,
            AdditionalHeaderClaims = new Dictionary<string, object> { ["jwk"] = jwk ?? PublicJwk() },
            SigningCredentials = new SigningCredentials(signer.SigningKey, signer.Algorithm),
        });
    }

    /// <summary>A proof with alg none (header and claims as given, no signature), which no receiver may accept.</summary>
    public string UnsignedProof(string method, string url)
    {
        static string Part(object value) => Base64UrlEncoder.Encode(JsonSerializer.SerializeToUtf8Bytes(value));
        var header = new Dictionary<string, object> { ["typ"] = "dpop+jwt", ["alg"] = "none", ["jwk"] = PublicJwk() };
        var payload = new Dictionary<string, object>
        {
            ["jti"] = Guid.NewGuid().ToString("N"), ["htm"] = method, ["htu"] = url, ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        };
        return Part(header) + "." + Part(payload) + ".";
    }

    /// <summary>HS256 with a symmetric "jwk" in the header (kty oct, k): a MAC, not a proof of possession.</summary>
    public static string SymmetricProof(string method, string url)
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            TokenType = "dpop+jwt",
            IssuedAt = DateTime.UtcNow,
            Claims = new Dictionary<string, object> { ["jti"] = Guid.NewGuid().ToString("N"), ["htm"] = method, ["htu"] = url },
            AdditionalHeaderClaims = new Dictionary<string, object>
            {
                ["jwk"] = new Dictionary<string, object> { ["kty"] = "oct", ["k"] = Base64UrlEncoder.Encode(secret) },
            },
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(secret), SecurityAlgorithms.HmacSha256),
        });
    }

    public void Dispose()
    {
        rsa?.Dispose();
        ec?.Dispose();
    }
}
