using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using TokenService.Crypto;

namespace TokenService.Authorize;

/// <summary>RFC 7636 Proof Key for Code Exchange, S256 only.</summary>
public static partial class Pkce
{
    /// <summary>RFC 7636 s.4.2: an S256 challenge is BASE64URL(SHA256(verifier)): exactly 43 base64url characters.</summary>
    public static bool IsValidChallenge(string challenge) => Challenge().IsMatch(challenge);

    /// <summary>RFC 7636 s.4.1: code_verifier = 43*128 unreserved characters.</summary>
    public static bool IsValidVerifier(string verifier) => Verifier().IsMatch(verifier);

    public static string S256(string verifier) => SecretGenerator.Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));

    /// <summary>RFC 7636 s.4.6, compared in constant time.</summary>
    public static bool Matches(string verifier, string challenge) =>
        IsValidVerifier(verifier) &&
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(S256(verifier)), Encoding.ASCII.GetBytes(challenge));

    [GeneratedRegex(@"^[A-Za-z0-9_-]{43}\z")]
    private static partial Regex Challenge();

    [GeneratedRegex(@"^[A-Za-z0-9\-._~]{43,128}\z")]
    private static partial Regex Verifier();
}
