namespace Shared.Protocol;

/// <summary>RFC 6749 s.3.1.1 response types; only the authorization code flow is offered.</summary>
public static class ResponseTypes
{
    public const string Code = "code";
}
