using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace TokenService.Applications;

/// <summary>
/// An application's public JWK Set for private_key_jwt (RFC 7517 s.5): what may be registered, and the parsed keys.
/// Only public RSA (2048 bits or more) and P-256 EC signing keys; a key carrying private members is refused, so a
/// private key pasted by mistake is never stored.
/// </summary>
public static class ApplicationKeys
{
    public const int MaxKeys = 10;
    public const int MaxJsonLength = 32 * 1024;

    /// <summary>The JWK Set as stored (compact JSON), or the reason it cannot be registered.</summary>
    public static (string? Jwks, ValidationError? Error) Validate(JsonElement jwks)
    {
        if (jwks.ValueKind != JsonValueKind.Object || !jwks.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array)
        {
            return Fail("jwks must be a JWK Set: an object with a keys array (RFC 7517 s.5)");
        }

        var json = jwks.GetRawText();
        if (json.Length > MaxJsonLength || keys.GetArrayLength() is 0 or > MaxKeys)
        {
            return Fail($"jwks must hold 1 to {MaxKeys} keys, at most {MaxJsonLength} bytes");
        }

        foreach (var key in keys.EnumerateArray())
        {
            if (key.ValueKind != JsonValueKind.Object || Shared.Protocol.PublicJwk.HasPrivateMembers(key))
            {
                return Fail("jwks must hold public keys only: a key has private members (d, p, q, k, ...)");
            }

            if (key.TryGetProperty("use", out var use) && use.GetString() != "sig")
            {
                return Fail("jwks keys must be signing keys (use: sig)");
            }
        }

        IList<SecurityKey> parsed;
        try
        {
            parsed = new JsonWebKeySet(json).GetSigningKeys();
        }
        catch (Exception e) when (e is ArgumentException or JsonException or FormatException or InvalidOperationException)
        {
            return Fail("jwks is not a valid JWK Set");
        }

        if (parsed.Count != keys.GetArrayLength() || parsed.Any(k => !Shared.Protocol.PublicJwk.IsStrongEnough(k)))
        {
            return Fail("each jwks key must be RSA of at least 2048 bits (RS256, PS256) or EC P-256 (ES256)");
        }

        return (JsonSerializer.Serialize(jwks), null);
    }

    /// <summary>The signing keys of a stored JWK Set; null when it no longer parses (then nothing verifies).</summary>
    public static IList<SecurityKey>? Parse(string jwks)
    {
        try
        {
            return new JsonWebKeySet(jwks).GetSigningKeys();
        }
        catch (Exception e) when (e is ArgumentException or JsonException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }

    private static (string?, ValidationError?) Fail(string message) => (null, new ValidationError("jwks", message));
}
