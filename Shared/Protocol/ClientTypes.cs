namespace Shared.Protocol;

/// <summary>RFC 6749 s.2.1 client types.</summary>
public static class ClientTypes
{
    public const string Confidential = "confidential";
    public const string Public = "public";

    public static bool IsKnown(string? type) => type is Confidential or Public;
}
