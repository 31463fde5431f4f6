using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Security.Tests.Infrastructure;

/// <summary>
/// JWTs assembled by hand: base64url of JSON header and claims, then whatever signature the attack needs. No JWT
/// library is involved, so nothing "fixes" a malformed header or refuses to produce an insecure token for us.
/// </summary>
public sealed class ForgedJwt
{
    public JsonObject Header { get; } = new();

    public JsonObject Claims { get; } = new();

    /// <summary>The claims and header of a correct access token for the test issuer, audience and a kid.</summary>
    public static ForgedJwt AccessToken(string kid, string scope = "metric:query", DateTimeOffset? now = null)
    {
        var at = (now ?? DateTimeOffset.UtcNow).ToUnixTimeSeconds();
        var jwt = new ForgedJwt();
        jwt.Header["alg"] = "RS256";
        jwt.Header["typ"] = "at+jwt";
        jwt.Header["kid"] = kid;
        jwt.Claims["iss"] = SecurityStack.Issuer;
        jwt.Claims["sub"] = "forged-client";
        jwt.Claims["aud"] = SecurityStack.Audience;
        jwt.Claims["exp"] = at + 600;
        jwt.Claims["iat"] = at;
        jwt.Claims["nbf"] = at;
        jwt.Claims["jti"] = Guid.NewGuid().ToString("N");
        jwt.Claims["client_id"] = "forged-client";
        jwt.Claims["scope"] = scope;
        return jwt;
    }

    public ForgedJwt With(Action<ForgedJwt> change)
    {
        change(this);
        return this;
    }

    public string SigningInput => B64(Encoding.UTF8.GetBytes(Header.ToJsonString())) + "." + B64(Encoding.UTF8.GetBytes(Claims.ToJsonString()));

    public string SignRs256(RSA key) =>
        SigningInput + "." + B64(key.SignData(Encoding.ASCII.GetBytes(SigningInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

    public string SignHs256(byte[] key) => SigningInput + "." + B64(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(SigningInput)));

    /// <summary>alg none style: a trailing dot and no signature.</summary>
    public string Unsigned() => SigningInput + ".";

    public static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] FromB64(string text) => Convert.FromBase64String(text.Replace('-', '+').Replace('_', '/')
        .PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '='));

    /// <summary>The public part of an attacker's key as a JWK, for embedded jwk headers.</summary>
    public static JsonObject PublicJwk(RSA key, string kid)
    {
        var p = key.ExportParameters(false);
        return new JsonObject { ["kty"] = "RSA", ["kid"] = kid, ["use"] = "sig", ["alg"] = "RS256", ["n"] = B64(p.Modulus!), ["e"] = B64(p.Exponent!) };
    }

    public static JsonNode Parse(string json) => JsonNode.Parse(json)!;

    public override string ToString() => JsonSerializer.Serialize(new { Header, Claims });
}
