namespace Shared.Protocol;

/// <summary>OIDC Core s.3.1.2.1 <c>prompt</c> values we honour.</summary>
public static class PromptValues
{
    public const string None = "none";
    public const string Login = "login";
}
