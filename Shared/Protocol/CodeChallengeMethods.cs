namespace Shared.Protocol;

/// <summary>RFC 7636 s.4.2 code challenge methods. Only S256: <c>plain</c> protects nothing against a leaked request.</summary>
public static class CodeChallengeMethods
{
    public const string S256 = "S256";
    public const string Plain = "plain";
}
