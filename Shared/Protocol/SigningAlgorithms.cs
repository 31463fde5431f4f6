namespace Shared.Protocol;

/// <summary>
/// The JWS algorithms (RFC 7518 s.3) this product signs and accepts: RS256 (RSASSA-PKCS1-v1_5), PS256 (RSASSA-PSS)
/// and ES256 (ECDSA P-256), all over SHA-256. Our tokens, client assertions and DPoP proofs use the same three.
/// </summary>
public static class SigningAlgorithms
{
    public const string RS256 = "RS256";
    public const string PS256 = "PS256";
    public const string ES256 = "ES256";

    public static readonly IReadOnlyList<string> All = [RS256, PS256, ES256];

    /// <summary>One of <see cref="All"/>, exactly as written (alg is case-sensitive, RFC 7515 s.4.1.1).</summary>
    public static bool IsKnown(string? name) => All.Contains(name);

    public static bool IsRsa(string algorithm) => algorithm is RS256 or PS256;
}
