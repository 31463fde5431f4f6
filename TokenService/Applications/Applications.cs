using Microsoft.Extensions.Options;
using TokenService.Audit;
using TokenService.Caching;
using TokenService.Crypto;
using TokenService.Revocation;

namespace TokenService.Applications;

/// <summary>Create, list, rotate and delete applications: the one implementation behind the CLI and the management API.</summary>
public sealed class Applications(
    ApplicationStore store, Argon2idHasher hasher, ApplicationCache cache, VerifiedSecretCache verifiedSecrets, TimeProvider time,
    ApplicationLifecycleStore lifecycle, RevocationList revocations, IOptions<TokenServiceOptions> options, AuditTrail audit,
    Issuance.Audiences audiences)
{
    public const int MaxNameLength = 100;
    public const int MaxDescriptionLength = 1000;

    public Task<(ApplicationWithSecret? Created, ValidationError? Error)> CreateAsync(
        string? name, string? description, IEnumerable<string>? scopes, CancellationToken ct) =>
        CreateAsync(name, description, scopes, null, ct);

    /// <summary>With <paramref name="client"/> null: a confidential client_credentials application, as before.</summary>
    public Task<(ApplicationWithSecret? Created, ValidationError? Error)> CreateAsync(
        string? name, string? description, IEnumerable<string>? scopes, ClientSettings? client, CancellationToken ct) =>
        CreateAsync(name, description, scopes, client, null, ct);

    /// <summary><paramref name="allowedTenants"/> null: any tenant.</summary>
    public Task<(ApplicationWithSecret? Created, ValidationError? Error)> CreateAsync(string? name, string? description,
        IEnumerable<string>? scopes, ClientSettings? client, IEnumerable<string>? allowedTenants, CancellationToken ct) =>
        CreateAsync(name, description, scopes, client, allowedTenants, null, ct);

    /// <summary><paramref name="token"/>: issue 17's per-application token settings; null: the server's defaults.</summary>
    public async Task<(ApplicationWithSecret? Created, ValidationError? Error)> CreateAsync(string? name, string? description,
        IEnumerable<string>? scopes, ClientSettings? client, IEnumerable<string>? allowedTenants, TokenSettings? token,
        CancellationToken ct)
    {
        var (validName, nameError) = ApplicationFields.Name(name);
        var (validDescription, descriptionError) = ApplicationFields.Description(description);
        var (scopeList, scopeError) = ApplicationFields.ScopeList(scopes);
        var (tenants, tenantError) = ApplicationFields.AllowedTenants(allowedTenants);
        var (lifetime, lifetimeError) = ApplicationFields.AccessTokenLifetime(token?.AccessTokenLifetimeSeconds, MaxLifetime);
        var (policyValues, policyValuesError) = AllowedPolicyValues.Validate(token?.AllowedPolicyValues);
        var (allowedAudiences, audiencesError) = audiences.ValidateAllowed(token?.Audiences);
        if ((nameError ?? descriptionError ?? scopeError ?? tenantError ?? policyValuesError ?? lifetimeError ?? audiencesError) is
            { } fieldError)
        {
            return (null, fieldError);
        }

        (name, description) = (validName!, validDescription!);

        var (settings, clientError) = ClientSettings.Validate(client);
        if (clientError is not null)
        {
            return (null, clientError);
        }

        var (authMethod, jwks, authError) = (token ?? new TokenSettings()).ValidateForCreate(settings!.ClientType);
        if (authError is not null)
        {
            return (null, authError);
        }

        // RFC 6749 s.2.1: a public client cannot keep a secret, so it gets none; private_key_jwt needs none either.
        var secret = settings.IsPublic || authMethod is not null ? null : SecretGenerator.NewSecret();
        var application = new Application
        {
            Id = Guid.CreateVersion7(time.GetUtcNow()),
            ClientId = SecretGenerator.NewClientId(),
            Name = name,
            Description = description,
            Scopes = scopeList!,
            AllowedTenants = tenants,
            AllowedPolicyValues = policyValues,
            SecretHash = secret is null ? null : await hasher.HashAsync(secret, ct),
            ClientType = settings.ClientType,
            RedirectUris = settings.RedirectUris,
            GrantTypes = settings.GrantTypes,
            AccessTokenLifetimeSeconds = lifetime,
            TokenEndpointAuthMethod = authMethod,
            Jwks = jwks,
            JwksUri = authMethod is null ? null : token?.JwksUri,
            RequireDpop = token?.RequireDpop ?? false,
            Audiences = allowedAudiences,
        };
        var stored = await store.InsertAsync(application, audit.Entry(AuditActions.ApplicationCreate, "application",
            application.ClientId, new { application.Name, application.Scopes, application.ClientType }), ct);
        if (stored is null)
        {
            return (null, new ValidationError("name", $"an application named '{name}' already exists") { IsConflict = true });
        }

        return (new ApplicationWithSecret(stored.ClientId, secret, stored.Name, stored.Description, stored.Scopes, stored.CreatedAt)
        {
            ClientType = stored.ClientType, RedirectUris = stored.RedirectUris, GrantTypes = stored.GrantTypes,
            AllowedTenants = stored.AllowedTenants, AccessTokenLifetimeSeconds = stored.AccessTokenLifetimeSeconds,
            AllowedPolicyValues = AllowedPolicyValues.View(stored.AllowedPolicyValues),
            TokenEndpointAuthMethod = stored.ListedAuthMethod, Jwks = ApplicationView.From(stored).Jwks, JwksUri = stored.JwksUri,
            RequireDpop = stored.RequireDpop, Audiences = stored.Audiences,
        }, null);
    }

    private int MaxLifetime => options.Value.LongestAccessTokenLifetimeSeconds;

    public async Task<IReadOnlyList<ApplicationView>> ListAsync(CancellationToken ct) =>
        (await store.ListAsync(ct)).Select(ApplicationView.From).ToList();

    public async Task<ApplicationView?> GetAsync(string clientId, CancellationToken ct) =>
        await store.FindByClientIdAsync(clientId, ct) is { } a ? ApplicationView.From(a) : null;

    /// <summary>
    /// Deletes the application; every token it was issued is revoked in the same transaction (the revocation feed
    /// tells resource servers), so its access tokens stop working within seconds, not at their expiry.
    /// </summary>
    public async Task<bool> DeleteAsync(string clientId, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        // The client id is never reused, so every token it ever got may die: the cutoff lies past the time any
        // instance's cache could still have issued one (iat has whole seconds; caches live ApplicationCache.TimeToLive).
        var cutoff = NextWholeSecond(now) + ApplicationCache.TimeToLive;
        var deleted = await lifecycle.DeleteAsync(clientId, ClientRevocation(clientId, cutoff, now), now,
            audit.Entry(AuditActions.ApplicationDelete, "application", clientId), ct);
        await ForgetAsync(clientId, ct);
        return deleted;
    }

    /// <summary>With the default grace period (option SecretRotationGracePeriodSeconds).</summary>
    public Task<ApplicationWithSecret?> RotateSecretAsync(string clientId, CancellationToken ct) =>
        RotateSecretAsync(clientId, TimeSpan.FromSeconds(options.Value.SecretRotationGracePeriodSeconds), ct);

    /// <summary>
    /// A new secret. The old one keeps working for <paramref name="grace"/> (zero: not at all), so callers can roll
    /// without downtime; when it stops, tokens issued before the rotation are revoked, and tokens obtained with the old
    /// secret meanwhile expire with it. Null when no such application (or a public one: it has no secret).
    /// </summary>
    public async Task<ApplicationWithSecret?> RotateSecretAsync(string clientId, TimeSpan grace, CancellationToken ct)
    {
        var secret = SecretGenerator.NewSecret();
        var hash = await hasher.HashAsync(secret, ct);
        var now = time.GetUtcNow().UtcDateTime;
        DateTime? previousExpiresAt = grace > TimeSpan.Zero ? now + grace : null;
        // iat has whole seconds: tokens issued before the rotation have iat < the next whole second, and the new
        // secret is handed out only once that second has begun, so no token it gets can look older than the cutoff.
        var cutoff = NextWholeSecond(now);
        var updated = await lifecycle.RotateSecretAsync(clientId, hash, previousExpiresAt,
            id => ClientRevocation(id, cutoff, previousExpiresAt ?? now), now,
            audit.Entry(AuditActions.ApplicationRotateSecret, "application", clientId, new { GracePeriodSeconds = (int)grace.TotalSeconds }),
            ct);
        await ForgetAsync(clientId, ct);
        if (time.GetUtcNow().UtcDateTime < cutoff)
        {
            await Task.Delay(cutoff - time.GetUtcNow().UtcDateTime, time, ct);
        }
        return updated is null ? null
            : new ApplicationWithSecret(updated.ClientId, secret, updated.Name, updated.Description, updated.Scopes, updated.CreatedAt)
            {
                ClientType = updated.ClientType, RedirectUris = updated.RedirectUris, GrantTypes = updated.GrantTypes,
                AllowedTenants = updated.AllowedTenants, PreviousSecretExpiresAt = updated.PreviousSecretExpiresAt,
                AllowedPolicyValues = AllowedPolicyValues.View(updated.AllowedPolicyValues),
                AccessTokenLifetimeSeconds = updated.AccessTokenLifetimeSeconds, RequireDpop = updated.RequireDpop,
            };
    }

    /// <summary>
    /// Changes what is given (null: unchanged). The client type cannot change: it decides whether a secret exists.
    /// Redirect URIs and grant types are checked together, as on create.
    /// </summary>
    public async Task<(ApplicationView? Updated, ValidationError? Error)> UpdateAsync(string clientId, ApplicationChanges changes,
        CancellationToken ct)
    {
        if (await store.FindByClientIdAsync(clientId, ct) is not { } current)
        {
            return (null, null);
        }

        var (name, nameError) = changes.Name is null ? (current.Name, null) : ApplicationFields.Name(changes.Name);
        var (description, descriptionError) = changes.Description is null
            ? (current.Description, null)
            : ApplicationFields.Description(changes.Description);
        var (scopes, scopeError) = changes.Scopes is null ? (current.Scopes, null) : ApplicationFields.ScopeList(changes.Scopes);
        var (tenants, tenantError) = changes.AllowedTenantsChanged
            ? ApplicationFields.AllowedTenants(changes.AllowedTenants)
            : (current.AllowedTenants, null);
        var (policyValues, policyValuesError) = changes.AllowedPolicyValuesChanged
            ? AllowedPolicyValues.Validate(changes.AllowedPolicyValues)
            : (current.AllowedPolicyValues, null);
        var (allowedAudiences, audiencesError) = changes.AudiencesChanged
            ? audiences.ValidateAllowed(changes.Audiences)
            : (current.Audiences, null);
        var (settings, clientError) = changes.RedirectUris is null && changes.GrantTypes is null
            ? (new ValidatedClientSettings(current.ClientType, current.RedirectUris, current.GrantTypes), null)
            : ClientSettings.Validate(new ClientSettings(current.ClientType, changes.RedirectUris ?? current.RedirectUris,
                changes.GrantTypes ?? GrantTypesForRedirectUris(current.GrantTypes, changes.RedirectUris!)));
        var (lifetime, lifetimeError) = changes.AccessTokenLifetimeChanged
            ? ApplicationFields.AccessTokenLifetime(changes.AccessTokenLifetimeSeconds, MaxLifetime)
            : (current.AccessTokenLifetimeSeconds, null);
        var (jwks, jwksUri, jwksError) = KeysAfter(current, changes);
        if ((nameError ?? descriptionError ?? scopeError ?? tenantError ?? policyValuesError ?? clientError ?? lifetimeError ?? jwksError
             ?? audiencesError)
            is { } error)
        {
            return (null, error);
        }

        var next = current with
        {
            Name = name!,
            Description = description!,
            Scopes = scopes!,
            AllowedTenants = tenants,
            AllowedPolicyValues = policyValues,
            RedirectUris = settings!.RedirectUris,
            GrantTypes = settings.GrantTypes,
            AccessTokenLifetimeSeconds = lifetime,
            Jwks = jwks,
            JwksUri = jwksUri,
            RequireDpop = changes.RequireDpop ?? current.RequireDpop,
            Audiences = allowedAudiences,
        };
        // Narrowed (a scope, tenant or policy value taken away): tokens issued before now carry what the application may
        // no longer have, so they die now, as at a rotation without grace; callers get new tokens with the new limits.
        // The ResourceApi's Basic exchange hears it from the revocation feed and exchanges again.
        var now = time.GetUtcNow().UtcDateTime;
        var cutoff = NextWholeSecond(now);
        var revocation = Narrows(current, next) ? ClientRevocation(clientId, cutoff, now) : null;
        var entry = audit.Entry(AuditActions.ApplicationUpdate, "application", clientId, new
        {
            next.Name, next.Scopes, next.AllowedTenants, next.AllowedPolicyValues, next.RedirectUris, next.AccessTokenLifetimeSeconds,
            next.RequireDpop, next.Audiences,
        });
        var (outcome, updated) = await lifecycle.UpdateAsync(next, entry, ct, revocation, now);
        await ForgetAsync(clientId, ct);
        if (revocation is not null && updated is not null && time.GetUtcNow().UtcDateTime < cutoff)
        {
            await Task.Delay(cutoff - time.GetUtcNow().UtcDateTime, time, ct);
        }

        return outcome switch
        {
            ApplicationLifecycleStore.UpdateOutcome.NameTaken =>
                (null, new ValidationError("name", $"an application named '{name}' already exists") { IsConflict = true }),
            _ => (updated is null ? null : ApplicationView.From(updated), null),
        };
    }

    /// <summary>
    /// Key rotation for private_key_jwt: new jwks replace the old ones (register old and new together first, drop the
    /// old one later, and no assertion in flight fails). The method itself cannot change, as the client type cannot.
    /// </summary>
    private static (string? Jwks, string? JwksUri, ValidationError? Error) KeysAfter(Application current, ApplicationChanges changes)
    {
        // client_secret_basic and client_secret_post are one method here: every secret may use either.
        static string Family(string m) =>
            m == Shared.Protocol.ClientAuthenticationMethods.SecretPost ? Shared.Protocol.ClientAuthenticationMethods.SecretBasic : m;
        if (changes.TokenEndpointAuthMethod is { } method && Family(method.Trim().ToLowerInvariant()) != Family(current.AuthMethod))
        {
            return (null, null, new ValidationError("tokenEndpointAuthMethod",
                "tokenEndpointAuthMethod cannot change (it decides whether there is a secret): create a new application"));
        }

        var keyed = current.TokenEndpointAuthMethod == Shared.Protocol.ClientAuthenticationMethods.PrivateKeyJwt;
        if (changes.JwksUri is not null && changes.Jwks is not null)
        {
            return (null, null,
                new ValidationError("jwksUri", "give the keys inline (jwks) or where they are published (jwksUri), not both"));
        }

        // Either replaces the other: an application moves between inline keys and a published set in one update.
        if (changes.JwksUri is { } uri)
        {
            return !keyed
                ? (null, null, new ValidationError("jwksUri", "jwksUri is only for applications with tokenEndpointAuthMethod private_key_jwt"))
                : Token.RemoteJwks.Validate(uri) is { } uriError ? (null, null, new ValidationError("jwksUri", uriError))
                : (null, uri, null);
        }

        if (changes.Jwks is not { } jwks)
        {
            return (current.Jwks, current.JwksUri, null);
        }

        if (!keyed)
        {
            return (null, null, new ValidationError("jwks", "jwks is only for applications with tokenEndpointAuthMethod private_key_jwt"));
        }

        var (stored, error) = ApplicationKeys.Validate(jwks);
        return (stored, null, error);
    }

    /// <summary>
    /// New redirect URIs without grant types: sign-in is switched on or off to match, and every other grant stays. Before,
    /// the defaults were recomputed, so adding a redirect URI to a client_credentials backend silently took its
    /// client_credentials away and broke it (issue 16 review).
    /// </summary>
    private static string[] GrantTypesForRedirectUris(string[] current, IEnumerable<string> redirectUris)
    {
        string[] signIn = [Shared.Protocol.GrantTypes.AuthorizationCode, Shared.Protocol.GrantTypes.RefreshToken];
        var others = current.Except(signIn, StringComparer.Ordinal);
        var hasUris = redirectUris.SelectMany(Shared.Protocol.Scopes.Split).Any();
        var signInNow = current.Contains(Shared.Protocol.GrantTypes.AuthorizationCode, StringComparer.Ordinal)
            ? current.Intersect(signIn, StringComparer.Ordinal)
            : signIn;
        return (hasUris ? signInNow.Concat(others) : others).ToArray();
    }

    /// <summary>
    /// True when <paramref name="next"/> allows less than <paramref name="current"/> in a token. Requiring DPoP is
    /// narrowing too: the Bearer tokens issued before must not outlive the decision.
    /// </summary>
    private static bool Narrows(Application current, Application next) =>
        current.Scopes.Except(next.Scopes, StringComparer.Ordinal).Any()
        || (next.RequireDpop && !current.RequireDpop)
        || (next.AllowedTenants is not null &&
            (current.AllowedTenants is null || current.AllowedTenants.Except(next.AllowedTenants, StringComparer.Ordinal).Any()))
        || AllowedPolicyValues.Narrows(current.AllowedPolicyValues, next.AllowedPolicyValues)
        || (next.Audiences is not null &&
            (current.Audiences is null || current.Audiences.Except(next.Audiences, StringComparer.Ordinal).Any()));

    private static DateTime NextWholeSecond(DateTime utc) =>
        new DateTime(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerSecond), DateTimeKind.Utc).AddSeconds(1);

    /// <summary>
    /// Tokens of <paramref name="clientId"/> issued before <paramref name="notBefore"/> are dead from
    /// <paramref name="effectiveAt"/> on; the entry lives until the last of them has expired, plus clock skew.
    /// </summary>
    private RevocationEntry ClientRevocation(string clientId, DateTime notBefore, DateTime effectiveAt) => new()
    {
        Kind = RevocationEntry.KindClient, Value = clientId, ClientId = clientId, NotBefore = notBefore, EffectiveAt = effectiveAt,
        ExpiresAt = (effectiveAt > notBefore ? effectiveAt : notBefore) +
                    TimeSpan.FromSeconds(options.Value.LongestAccessTokenLifetimeSeconds) +
                    RevocationStore.ClockSkewMargin,
    };

    /// <summary>
    /// This instance forgets at once; other instances (and this one again) hear it from the change feed.
    /// Without this, a request racing the notification could still pass with the old secret here.
    /// </summary>
    private async Task ForgetAsync(string clientId, CancellationToken ct)
    {
        cache.Invalidate(clientId);
        verifiedSecrets.Invalidate(clientId);
        await revocations.RefreshAsync(ct);
    }
}

/// <summary>An update: null leaves a field as it is. Allowed tenants need a flag, since null there means "any tenant".</summary>
public sealed record ApplicationChanges(
    string? Name = null, string? Description = null, IEnumerable<string>? Scopes = null,
    IEnumerable<string>? RedirectUris = null, IEnumerable<string>? GrantTypes = null)
{
    public bool AllowedTenantsChanged { get; init; }
    public IEnumerable<string>? AllowedTenants { get; init; }

    /// <summary>With the flag, null (or JSON null) means "any policy values".</summary>
    public bool AllowedPolicyValuesChanged { get; init; }
    public System.Text.Json.JsonElement? AllowedPolicyValues { get; init; }

    /// <summary>private_key_jwt: replaces the public keys (rotation). The method can only be restated, not changed.</summary>
    public System.Text.Json.JsonElement? Jwks { get; init; }
    public string? TokenEndpointAuthMethod { get; init; }
    public string? JwksUri { get; init; }

    /// <summary>With the flag, null means "back to the server's default lifetime".</summary>
    public bool AccessTokenLifetimeChanged { get; init; }
    public int? AccessTokenLifetimeSeconds { get; init; }

    /// <summary>RFC 9449: null leaves it; true requires a DPoP proof (with nonce) on every token request.</summary>
    public bool? RequireDpop { get; init; }

    /// <summary>RFC 8707: with the flag, the resources it may request; null means every API its scopes serve.</summary>
    public bool AudiencesChanged { get; init; }
    public IEnumerable<string>? Audiences { get; init; }
}

/// <summary>
/// Issue 17's per-application token settings as a caller gives them; null members: the server's defaults.
/// <see cref="Jwks"/>: the public keys for <c>private_key_jwt</c>; on update it replaces them (key rotation).
/// </summary>
public sealed record TokenSettings(
    int? AccessTokenLifetimeSeconds = null, string? TokenEndpointAuthMethod = null, System.Text.Json.JsonElement? Jwks = null,
    string? JwksUri = null)
{
    /// <summary>Issue 15: the policy_values the application may request (see AllowedPolicyValues); null: any.</summary>
    public System.Text.Json.JsonElement? AllowedPolicyValues { get; init; }

    /// <summary>Issue 17 point 2 (RFC 9449): only DPoP-bound tokens, each request with a proof and the server's nonce.</summary>
    public bool? RequireDpop { get; init; }

    /// <summary>Issue 17 point 4 (RFC 8707): the resources it may request; null: every API its scopes serve.</summary>
    public IEnumerable<string>? Audiences { get; init; }

    /// <summary>
    /// The stored method (null or private_key_jwt) and JWK Set for a new application of <paramref name="type"/>.
    /// A secret method needs a confidential client, none a public one, private_key_jwt inline keys and no secret.
    /// </summary>
    public (string? Method, string? Jwks, ValidationError? Error) ValidateForCreate(string type)
    {
        var method = TokenEndpointAuthMethod?.Trim().ToLowerInvariant();
        var isPublic = type == Shared.Protocol.ClientTypes.Public;
        if (Jwks is not null && method != Shared.Protocol.ClientAuthenticationMethods.PrivateKeyJwt)
        {
            return Fail("jwks", "jwks is only for tokenEndpointAuthMethod private_key_jwt");
        }

        if (JwksUri is not null && method != Shared.Protocol.ClientAuthenticationMethods.PrivateKeyJwt)
        {
            return Fail("jwksUri", "jwksUri is only for tokenEndpointAuthMethod private_key_jwt");
        }

        if (JwksUri is not null && Jwks is not null)
        {
            return Fail("jwksUri", "give the keys inline (jwks) or where they are published (jwksUri), not both");
        }

        switch (method)
        {
            case null:
                return (null, null, null);
            case Shared.Protocol.ClientAuthenticationMethods.SecretBasic or Shared.Protocol.ClientAuthenticationMethods.SecretPost:
                // Both are accepted for every secret (RFC 6749 s.2.3.1 requires Basic), so nothing is stored.
                return isPublic ? Fail("tokenEndpointAuthMethod", $"{method} needs a confidential client") : (null, null, null);
            case Shared.Protocol.ClientAuthenticationMethods.None:
                return isPublic ? (null, null, null) : Fail("tokenEndpointAuthMethod", "none is for public clients (type public)");
            case Shared.Protocol.ClientAuthenticationMethods.PrivateKeyJwt when isPublic:
                return Fail("tokenEndpointAuthMethod", "private_key_jwt needs a confidential client");
            case Shared.Protocol.ClientAuthenticationMethods.PrivateKeyJwt:
                if (JwksUri is { } uri)
                {
                    return Token.RemoteJwks.Validate(uri) is { } uriError ? Fail("jwksUri", uriError) : (method, null, null);
                }

                if (Jwks is not { } jwks)
                {
                    return Fail("jwks",
                        "private_key_jwt needs the application's public keys: jwks (an RFC 7517 JWK Set) or jwksUri " +
                        "(where it publishes one)");
                }

                var (stored, error) = ApplicationKeys.Validate(jwks);
                return (error is null ? method : null, stored, error);
            default:
                return Fail("tokenEndpointAuthMethod",
                    "tokenEndpointAuthMethod must be client_secret_basic, client_secret_post, private_key_jwt or none");
        }
    }

    private static (string?, string?, ValidationError?) Fail(string field, string message) =>
        (null, null, new ValidationError(field, message));
}
