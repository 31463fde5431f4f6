using System.Text.RegularExpressions;
using Shared.Protocol;
using TokenService.Crypto;

namespace TokenService.Applications;

/// <summary>Create, list, rotate and delete applications: the one implementation behind the CLI and the management API.</summary>
public sealed partial class Applications(ApplicationStore store, Argon2idHasher hasher, TimeProvider time)
{
    public const int MaxNameLength = 100;
    public const int MaxDescriptionLength = 1000;

    /// <summary>A caller mistake, naming the field: becomes RFC 9457 problem details or a CLI error line.</summary>
    public sealed record ValidationError(string Field, string Message);

    public Task<(ApplicationWithSecret? Created, ValidationError? Error)> CreateAsync(
        string? name, string? description, IEnumerable<string>? scopes, CancellationToken ct) =>
        CreateAsync(name, description, scopes, null, ct);

    /// <summary>With <paramref name="client"/> null: a confidential client_credentials application, as before.</summary>
    public async Task<(ApplicationWithSecret? Created, ValidationError? Error)> CreateAsync(
        string? name, string? description, IEnumerable<string>? scopes, ClientSettings? client, CancellationToken ct)
    {
        name = name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength || HasControlCharacters().IsMatch(name))
        {
            return (null, new ValidationError("name", $"name is required: 1 to {MaxNameLength} printable characters"));
        }

        description = description?.Trim() ?? "";
        if (description.Length > MaxDescriptionLength || HasControlCharacters().IsMatch(description.Replace("\n", "", StringComparison.Ordinal)))
        {
            return (null, new ValidationError("description", $"description must be at most {MaxDescriptionLength} printable characters"));
        }

        var scopeList = (scopes ?? []).SelectMany(s => Scopes.Split(s)).Distinct(StringComparer.Ordinal).ToArray();
        var unknown = scopeList.Where(s => !Scopes.IsKnown(s)).ToArray();
        if (unknown.Length > 0)
        {
            return (null, new ValidationError("scopes",
                $"unknown scope(s) {string.Join(", ", unknown)}; known scopes are: {string.Join(" ", Scopes.All)}"));
        }

        var (settings, clientError) = ClientSettings.Validate(client);
        if (clientError is not null)
        {
            return (null, clientError);
        }

        // RFC 6749 s.2.1: a public client cannot keep a secret, so it gets none.
        var secret = settings!.IsPublic ? null : SecretGenerator.NewSecret();
        var application = new Application
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()),
            ClientId = SecretGenerator.NewClientId(),
            Name = name,
            Description = description,
            Scopes = scopeList,
            SecretHash = secret is null ? null : await hasher.HashAsync(secret, ct),
            ClientType = settings.ClientType,
            RedirectUris = settings.RedirectUris,
            GrantTypes = settings.GrantTypes,
        };
        var stored = await store.InsertAsync(application, ct);
        if (stored is null)
        {
            return (null, new ValidationError("name", $"an application named '{name}' already exists"));
        }

        return (new ApplicationWithSecret(stored.ClientId, secret, stored.Name, stored.Description, stored.Scopes, stored.CreatedAt)
        {
            ClientType = stored.ClientType, RedirectUris = stored.RedirectUris, GrantTypes = stored.GrantTypes,
        }, null);
    }

    public async Task<IReadOnlyList<ApplicationView>> ListAsync(CancellationToken ct) =>
        (await store.ListAsync(ct)).Select(ApplicationView.From).ToList();

    public async Task<ApplicationView?> GetAsync(string clientId, CancellationToken ct) =>
        await store.FindByClientIdAsync(clientId, ct) is { } a ? ApplicationView.From(a) : null;

    public Task<bool> DeleteAsync(string clientId, CancellationToken ct) => store.DeleteAsync(clientId, ct);

    /// <summary>A new secret replaces the old one at once; null when no such application.</summary>
    public async Task<ApplicationWithSecret?> RotateSecretAsync(string clientId, CancellationToken ct)
    {
        var secret = SecretGenerator.NewSecret();
        var updated = await store.ReplaceSecretAsync(clientId, await hasher.HashAsync(secret, ct), ct);
        return updated is null ? null
            : new ApplicationWithSecret(updated.ClientId, secret, updated.Name, updated.Description, updated.Scopes, updated.CreatedAt);
    }

    [GeneratedRegex(@"\p{Cc}")]
    private static partial Regex HasControlCharacters();
}
