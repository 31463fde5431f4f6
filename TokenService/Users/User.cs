namespace TokenService.Users;

/// <summary>A person who signs in. <see cref="PasswordHash"/> is an Argon2id PHC string, never the password.</summary>
public sealed record User
{
    public required Guid Id { get; init; }
    public required string Username { get; init; }
    public string Email { get; init; } = "";
    public bool EmailVerified { get; init; }
    public string Name { get; init; } = "";
    public required string PasswordHash { get; init; }

    /// <summary>Bumped when the password changes; a login session from an older version is no longer honoured.</summary>
    public int SessionVersion { get; init; } = 1;

    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; init; }
}

/// <summary>What the CLI and the management API show: everything but the password hash, with roles and tenants.</summary>
public sealed record UserView(Guid Id, string Username, string Email, bool EmailVerified, string Name, DateTime CreatedAt)
{
    public string[] Roles { get; init; } = [];
    public string[] Tenants { get; init; } = [];

    public static UserView From(User u, UserAccess? access = null) => new(u.Id, u.Username, u.Email, u.EmailVerified, u.Name, u.CreatedAt)
    {
        Roles = access?.Roles ?? [], Tenants = access?.Tenants ?? [],
    };
}
