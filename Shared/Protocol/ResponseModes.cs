namespace Shared.Protocol;

/// <summary>OAuth 2.0 Multiple Response Types s.2.1: the code comes back in the redirect URI's query.</summary>
public static class ResponseModes
{
    public const string Query = "query";
}
