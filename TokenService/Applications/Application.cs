namespace TokenService.Applications;

/// <summary>An OAuth 2.0 client, as stored. <see cref="SecretHash"/> is an Argon2id PHC string, never the secret.</summary>
public sealed record Application
{
    public required Guid Id { get; init; }
    public required string ClientId { get; init; }
    public required string Name { get; init; }
    public string Description { get; init; } = "";
    public string[] Scopes { get; init; } = [];
    public required string SecretHash { get; init; }
    public int SecretVersion { get; init; } = 1;
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; init; }
}

/// <summary>What callers of the CLI and the management API see: everything but the secret and its hash.</summary>
public sealed record ApplicationView(string ClientId, string Name, string Description, string[] Scopes, DateTime CreatedAt, DateTime UpdatedAt)
{
    public static ApplicationView From(Application a) => new(a.ClientId, a.Name, a.Description, a.Scopes, a.CreatedAt, a.UpdatedAt);
}

/// <summary>The one response that carries a secret: creation and rotation.</summary>
public sealed record ApplicationWithSecret(string ClientId, string Secret, string Name, string Description, string[] Scopes, DateTime CreatedAt);
