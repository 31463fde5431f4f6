using System.Text.RegularExpressions;
using TokenService.Audit;
using TokenService.Crypto;
using TokenService.Token;

namespace TokenService.Users;

/// <summary>Create, delete and re-password users, and check a sign-in: the one implementation behind the CLI and the login page.</summary>
public sealed partial class UserAccounts(UserStore store, UserAccessStore access, Argon2idHasher hasher, TimeProvider time,
    AuditTrail audit)
{
    public const int MinPasswordLength = 8;

    /// <summary>Argon2 hashes any length, but a megabyte "password" is only a way to burn CPU.</summary>
    public const int MaxPasswordLength = 1024;

    public const int MaxUsernameLength = 100;

    public async Task<(UserView? Created, ValidationError? Error)> CreateAsync(
        string? username, string? password, string? email, string? name, bool emailVerified, CancellationToken ct)
    {
        username = username?.Trim();
        if (string.IsNullOrEmpty(username) || username.Length > MaxUsernameLength || !UsernameShape().IsMatch(username))
        {
            return (null, new ValidationError("username",
                $"username is required: 1 to {MaxUsernameLength} letters, digits or . _ @ + -"));
        }

        email = email?.Trim() ?? "";
        if (email.Length > 254 || (email.Length > 0 && !EmailShape().IsMatch(email)))
        {
            return (null, new ValidationError("email", "email must look like name@example.com"));
        }

        name = name?.Trim() ?? "";
        if (name.Length > 200 || ControlCharacters().IsMatch(name))
        {
            return (null, new ValidationError("name", "name must be at most 200 printable characters"));
        }

        if (ValidatePassword(password) is { } passwordError)
        {
            return (null, passwordError);
        }

        var user = new User
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()),
            Username = username,
            Email = email,
            EmailVerified = emailVerified,
            Name = name,
            PasswordHash = await hasher.HashAsync(password!, ct),
        };
        var stored = await store.InsertAsync(user, audit.Entry(AuditActions.UserCreate, "user", username, new { user.Id }), ct);
        return stored is null
            ? (null, new ValidationError("username", $"a user named '{username}' already exists"))
            : (UserView.From(stored), null);
    }

    /// <summary>Deletes the user; every grant of theirs is revoked with it (refresh tokens and access tokens).</summary>
    public async Task<bool> DeleteAsync(string username, CancellationToken ct) =>
        await store.DeleteAsync(username, audit.Entry(AuditActions.UserDelete, "user", username), ct);

    /// <summary>Ends every login session and revokes every grant of the user.</summary>
    /// <summary>Ends every session and grant of the user; audited like every other change to a user.</summary>
    public async Task<bool> SignOutEverywhereAsync(string username, CancellationToken ct) =>
        await store.SignOutEverywhereAsync(username, audit.Entry(AuditActions.UserSignOut, "user", username), ct);

    public async Task<UserView?> FindAsync(string username, CancellationToken ct) =>
        await store.FindByUsernameAsync(username, ct) is { } user ? UserView.From(user, await access.GetAsync(user.Id, ct)) : null;

    public async Task<IReadOnlyList<UserView>> ListAsync(CancellationToken ct)
    {
        var all = await access.GetAllAsync(ct);
        return (await store.ListAsync(ct)).Select(u => UserView.From(u, all.GetValueOrDefault(u.Id))).ToList();
    }

    /// <summary>
    /// Grants or takes away a role (Roles) or a tenant membership. The user's view after the change; null when there
    /// is no such user. Taking one away reaches existing grants at their next refresh (RefreshTokenGrant).
    /// </summary>
    public async Task<(UserView? User, ValidationError? Error)> ChangeAccessAsync(
        UserAccessKind kind, string username, string value, bool add, CancellationToken ct)
    {
        if (kind == UserAccessKind.Role && !Roles.IsKnown(value))
        {
            return (null,
                new ValidationError("role",
                $"unknown role '{OAuthError.Truncate(value)}'; known roles: {string.Join(", ", Roles.ScopesByRole.Keys)}"));
        }

        if (kind == UserAccessKind.Tenant && (value.Length == 0 || TenantParameter.Validate(value) is not null))
        {
            return (null, new ValidationError("tenant",
                $"tenant must be 1 to {TenantParameter.MaxLength} characters of letters, digits, '.', '_', ':' or '-'"));
        }

        var action = (kind, add) switch
        {
            (UserAccessKind.Role, true) => AuditActions.UserGrantRole,
            (UserAccessKind.Role, false) => AuditActions.UserRevokeRole,
            (UserAccessKind.Tenant, true) => AuditActions.UserAddTenant,
            _ => AuditActions.UserRemoveTenant,
        };
        var entry = audit.Entry(action, "user", username,
            new Dictionary<string, string> { [kind == UserAccessKind.Role ? "role" : "tenant"] = value });
        return await access.ChangeAsync(kind, username, value, add, entry, ct) ? (await FindAsync(username, ct), null) : (null, null);
    }

    /// <summary>Null error and true: changed. False: no such user.</summary>
    public async Task<(bool Found, ValidationError? Error)> SetPasswordAsync(string username, string? password, CancellationToken ct)
    {
        if (ValidatePassword(password) is { } error)
        {
            return (false, error);
        }

        return (await store.SetPasswordAsync(username, await hasher.HashAsync(password!, ct),
            audit.Entry(AuditActions.UserSetPassword, "user", username), ct), null);
    }

    /// <summary>
    /// The user when the password is right, else null. An unknown username costs the same Argon2 work as a wrong
    /// password (the hasher verifies against a dummy hash), so timing does not tell whether the user exists.
    /// </summary>
    public async Task<User?> CheckPasswordAsync(string username, string password, CancellationToken ct)
    {
        var tooLong = password.Length > MaxPasswordLength;
        var user = username.Length <= MaxUsernameLength && !tooLong ? await store.FindByUsernameAsync(username, ct) : null;
        var result = await hasher.VerifyAsync(tooLong ? "" : password, user?.PasswordHash, ct);
        if (user is null || result == VerifyResult.Failed)
        {
            return null;
        }

        if (result == VerifyResult.SuccessRehashNeeded)
        {
            await store.RehashAsync(user.Id, user.SessionVersion, await hasher.HashAsync(password, ct), ct);
        }

        return user;
    }

    private static ValidationError? ValidatePassword(string? password) =>
        password is null || password.Length < MinPasswordLength || password.Length > MaxPasswordLength
            ? new ValidationError("password", $"password must be {MinPasswordLength} to {MaxPasswordLength} characters")
            : null;

    [GeneratedRegex(@"^[\p{L}\p{Nd}._@+\-]+\z")]
    private static partial Regex UsernameShape();

    [GeneratedRegex(@"^[^\s@]+@[^\s@]+\.[^\s@]+\z")]
    private static partial Regex EmailShape();

    [GeneratedRegex(@"\p{Cc}")]
    private static partial Regex ControlCharacters();
}
