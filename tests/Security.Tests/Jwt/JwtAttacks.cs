using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Security.Tests.Infrastructure;

namespace Security.Tests.Jwt;

/// <summary>
/// RFC 8725 s.2 attacks on JWT access tokens, each one built by hand. Those that must look real in every way but
/// one (expired, wrong iss/aud/typ) are signed with the service's own key, so only that one flaw can refuse them.
/// </summary>
public sealed class JwtAttacks(string realKid, RSA realKey, string modulus, string exponent)
{
    private readonly RSA attacker = RSA.Create(2048);

    public static readonly string[] Names =
    [
        "alg_none", "alg_None_capitalised", "alg_none_with_the_real_signature_kept",
        "hs256_keyed_with_jwks_modulus_bytes", "hs256_keyed_with_jwks_n_and_e_bytes", "hs256_keyed_with_public_key_pem",
        "hs256_keyed_with_pkcs1_pem", "hs256_keyed_with_the_jwk_json",
        "rs256_foreign_key_under_the_real_kid", "kid_unknown", "kid_empty", "kid_path_traversal", "kid_missing",
        "jku_to_attacker_keys", "x5u_to_attacker_certificate", "embedded_jwk_of_attacker", "embedded_jwk_with_the_real_kid",
        "signature_stripped", "signature_segment_missing", "signature_of_another_token",
        "expired", "not_yet_valid", "no_exp", "wrong_iss", "iss_with_trailing_slash_variant", "wrong_aud", "no_aud",
        "typ_jwt_id_token_shape", "typ_jwt_with_api_audience", "typ_missing", "header_64_kib",
        "garbage", "empty_string",
    ];

    public string Forge(string name)
    {
        var pem = realKey.ExportSubjectPublicKeyInfoPem();
        return name switch
        {
            "alg_none" => Valid().With(j => j.Header["alg"] = "none").Unsigned(),
            "alg_None_capitalised" => Valid().With(j => j.Header["alg"] = "None").Unsigned(),
            "alg_none_with_the_real_signature_kept" => KeepSignature(Valid().With(j => j.Header["alg"] = "none")),
            "hs256_keyed_with_jwks_modulus_bytes" => Hs256(ForgedJwt.FromB64(modulus)),
            "hs256_keyed_with_jwks_n_and_e_bytes" => Hs256([.. ForgedJwt.FromB64(modulus), .. ForgedJwt.FromB64(exponent)]),
            "hs256_keyed_with_public_key_pem" => Hs256(Encoding.ASCII.GetBytes(pem)),
            "hs256_keyed_with_pkcs1_pem" => Hs256(Encoding.ASCII.GetBytes(realKey.ExportRSAPublicKeyPem())),
            "hs256_keyed_with_the_jwk_json" => Hs256(Encoding.UTF8.GetBytes(
                $"{{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\",\"kid\":\"{realKid}\",\"n\":\"{modulus}\",\"e\":\"{exponent}\"}}")),
            "rs256_foreign_key_under_the_real_kid" => Valid().SignRs256(attacker),
            "kid_unknown" => Valid().With(j => j.Header["kid"] = "attacker-key-1").SignRs256(attacker),
            "kid_empty" => Valid().With(j => j.Header["kid"] = "").SignRs256(attacker),
            "kid_path_traversal" => Valid().With(j => j.Header["kid"] = "../../etc/passwd").SignRs256(attacker),
            "kid_missing" => Valid().With(j => j.Header.Remove("kid")).SignRs256(attacker),
            "jku_to_attacker_keys" => Valid().With(j => j.Header["jku"] = "https://attacker.example/jwks.json").SignRs256(attacker),
            "x5u_to_attacker_certificate" => Valid().With(j => j.Header["x5u"] = "https://attacker.example/cert.pem").SignRs256(attacker),
            "embedded_jwk_of_attacker" => Valid().With(j =>
            {
                j.Header["kid"] = "attacker-key-1";
                j.Header["jwk"] = ForgedJwt.PublicJwk(attacker, "attacker-key-1");
            }).SignRs256(attacker),
            "embedded_jwk_with_the_real_kid" => Valid().With(j => j.Header["jwk"] = ForgedJwt.PublicJwk(attacker, realKid)).SignRs256(attacker),
            "signature_stripped" => Valid().SignRs256(realKey) is var t1 ? t1[..(t1.LastIndexOf('.') + 1)] : "",
            "signature_segment_missing" => Valid().SignRs256(realKey) is var t2 ? t2[..t2.LastIndexOf('.')] : "",
            "signature_of_another_token" => Valid().With(j => j.Claims["scope"] = "admin").SigningInput + "." +
                Valid().SignRs256(realKey).Split('.')[2],
            "expired" => Real(j =>
            {
                var past = DateTimeOffset.UtcNow.AddHours(-2).ToUnixTimeSeconds();
                (j.Claims["iat"], j.Claims["nbf"], j.Claims["exp"]) = (past, past, past + 3600);
            }),
            "not_yet_valid" => Real(j => j.Claims["nbf"] = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds()),
            "no_exp" => Real(j => j.Claims.Remove("exp")),
            "wrong_iss" => Real(j => j.Claims["iss"] = "https://attacker.example"),
            "iss_with_trailing_slash_variant" => Real(j => j.Claims["iss"] = "http://localhost:5000.attacker.example"),
            "wrong_aud" => Real(j => j.Claims["aud"] = "another-api"),
            "no_aud" => Real(j => j.Claims.Remove("aud")),
            "typ_jwt_id_token_shape" => Real(j =>
            {
                j.Header["typ"] = "JWT";
                j.Claims["aud"] = "forged-client";
                j.Claims["nonce"] = "n-0S6_WzA2Mj";
                j.Claims["auth_time"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            }),
            "typ_jwt_with_api_audience" => Real(j => j.Header["typ"] = "JWT"),
            "typ_missing" => Real(j => j.Header.Remove("typ")),
            "header_64_kib" => Valid().With(j => j.Header["pad"] = new string('A', 64 * 1024)).SignRs256(attacker),
            "garbage" => "not.a.jwt",
            "empty_string" => "",
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such attack"),
        };
    }

    /// <summary>The control: correct in every way, signed with the service's key. Must be accepted.</summary>
    public string Genuine() => Valid().SignRs256(realKey);

    private ForgedJwt Valid() => ForgedJwt.AccessToken(realKid);

    private string Real(Action<ForgedJwt> change) => Valid().With(change).SignRs256(realKey);

    private string Hs256(byte[] key) => Valid().With(j => j.Header["alg"] = "HS256").SignHs256(key);

    private string KeepSignature(ForgedJwt jwt) => jwt.SigningInput + "." + Valid().SignRs256(realKey).Split('.')[2];

    public static JsonObject Header(string token) => (JsonObject)JsonNode.Parse(ForgedJwt.FromB64(token.Split('.')[0]))!;
}
