namespace TokenService.Applications;

/// <summary>An OAuth 2.0 client, as stored. <see cref="SecretHash"/> is an Argon2id PHC string, never the secret.</summary>
public sealed record Application
{
    public required Guid Id { get; init; }
    public required string ClientId { get; init; }
    public required string Name { get; init; }
    public string Description { get; init; } = "";
    public string[] Scopes { get; init; } = [];
    /// <summary>Null for a public client (RFC 6749 s.2.1): it has no secret.</summary>
    public string? SecretHash { get; init; }
    public int SecretVersion { get; init; } = 1;
    public DateTime CreatedAt { get; init; }
    public DateTime UpdatedAt { get; init; }

    /// <summary><c>confidential</c> or <c>public</c> (Shared.Protocol.ClientTypes).</summary>
    public string ClientType { get; init; } = Shared.Protocol.ClientTypes.Confidential;

    /// <summary>Compared by exact string match at /oauth2/authorize and the token endpoint (RFC 6749 s.3.1.2.3).</summary>
    public string[] RedirectUris { get; init; } = [];

    public string[] GrantTypes { get; init; } = [Shared.Protocol.GrantTypes.ClientCredentials];

    public bool IsPublic => ClientType == Shared.Protocol.ClientTypes.Public;

    /// <summary>After a rotation with a grace period: the old secret's hash, accepted until <see cref="PreviousSecretExpiresAt"/>.</summary>
    public string? PreviousSecretHash { get; init; }
    public DateTime? PreviousSecretExpiresAt { get; init; }

    /// <summary>The tenants a client_credentials token may be requested for; null means any.</summary>
    public string[]? AllowedTenants { get; init; }

    /// <summary>The policy_values it may request, as JSON (see AllowedPolicyValues); null means any.</summary>
    public string? AllowedPolicyValues { get; init; }

    /// <summary>This application's access-token lifetime; null: the server's AccessTokenLifetimeSeconds.</summary>
    public int? AccessTokenLifetimeSeconds { get; init; }

    /// <summary><c>private_key_jwt</c> (no secret; <see cref="Jwks"/> holds its keys) or null: what the row implies.</summary>
    public string? TokenEndpointAuthMethod { get; init; }

    /// <summary>The application's public JWK Set (RFC 7517) for private_key_jwt, as JSON.</summary>
    public string? Jwks { get; init; }

    /// <summary>Instead of <see cref="Jwks"/>: where the application publishes its JWK Set (fetched by RemoteJwks).</summary>
    public string? JwksUri { get; init; }

    /// <summary>The RFC 8707 resources it may request (see Audiences.Select); null: every API its scopes serve.</summary>
    public string[]? Audiences { get; init; }

    /// <summary>RFC 9449: every token request must carry a DPoP proof with a current server nonce; tokens are always bound.</summary>
    public bool RequireDpop { get; init; }

    /// <summary>What the API shows: private_key_jwt or none, null for a secret (see ApplicationView).</summary>
    public string? ListedAuthMethod => AuthMethod == Shared.Protocol.ClientAuthenticationMethods.SecretBasic ? null : AuthMethod;

    /// <summary>The method the contract names: stored, or implied by the client type.</summary>
    public string AuthMethod => TokenEndpointAuthMethod ??
        (IsPublic ? Shared.Protocol.ClientAuthenticationMethods.None : Shared.Protocol.ClientAuthenticationMethods.SecretBasic);

    /// <summary>
    /// Not stored: set by client authentication when the caller proved the previous secret, so tokens it gets die
    /// with that secret (see ClientAuthentication).
    /// </summary>
    public DateTime? CredentialExpiresAt { get; init; }
}

/// <summary>What callers of the CLI and the management API see: everything but the secret and its hash.</summary>
public sealed record ApplicationView(string ClientId, string Name, string Description, string[] Scopes, DateTime CreatedAt, DateTime UpdatedAt)
{
    public string ClientType { get; init; } = Shared.Protocol.ClientTypes.Confidential;
    public string[] RedirectUris { get; init; } = [];
    public string[] GrantTypes { get; init; } = [];
    public string[]? AllowedTenants { get; init; }

    /// <summary>Names to allowed values (["*"]: any); null: any policy_values.</summary>
    public System.Text.Json.JsonElement? AllowedPolicyValues { get; init; }

    public DateTime? PreviousSecretExpiresAt { get; init; }

    /// <summary>Null: the server's default lifetime.</summary>
    public int? AccessTokenLifetimeSeconds { get; init; }

    /// <summary>RFC 9449: tokens only with a DPoP proof (and the server's nonce).</summary>
    public bool RequireDpop { get; init; }

    /// <summary>
    /// private_key_jwt or none; omitted for a secret (client_secret_basic and client_secret_post both work), so a
    /// listing never even spells "secret" for an application that has one.
    /// </summary>
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? TokenEndpointAuthMethod { get; init; }

    /// <summary>The public keys of a private_key_jwt application (omitted otherwise).</summary>
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public System.Text.Json.JsonElement? Jwks { get; init; }

    /// <summary>Where a private_key_jwt application publishes its keys, when it registered that instead of jwks.</summary>
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? JwksUri { get; init; }

    /// <summary>The resources (audiences) it may request; null: every API its scopes serve.</summary>
    public string[]? Audiences { get; init; }

    public static ApplicationView From(Application a) => new(a.ClientId, a.Name, a.Description, a.Scopes, a.CreatedAt, a.UpdatedAt)
    {
        ClientType = a.ClientType, RedirectUris = a.RedirectUris, GrantTypes = a.GrantTypes,
        AllowedTenants = a.AllowedTenants, PreviousSecretExpiresAt = a.PreviousSecretExpiresAt,
        AllowedPolicyValues = global::TokenService.Applications.AllowedPolicyValues.View(a.AllowedPolicyValues),
        AccessTokenLifetimeSeconds = a.AccessTokenLifetimeSeconds, TokenEndpointAuthMethod = a.ListedAuthMethod,
        RequireDpop = a.RequireDpop,
        Jwks = a.Jwks is null ? null : System.Text.Json.JsonDocument.Parse(a.Jwks).RootElement.Clone(), JwksUri = a.JwksUri,
        Audiences = a.Audiences,
    };
}

/// <summary>The one response that carries a secret: creation and rotation. A public client has none (omitted from JSON).</summary>
public sealed record ApplicationWithSecret(
    string ClientId,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    string? Secret,
    string Name,
    string Description,
    string[] Scopes,
    DateTime CreatedAt)
{
    public string ClientType { get; init; } = Shared.Protocol.ClientTypes.Confidential;
    public string[] RedirectUris { get; init; } = [];
    public string[] GrantTypes { get; init; } = [];
    public string[]? AllowedTenants { get; init; }
    public System.Text.Json.JsonElement? AllowedPolicyValues { get; init; }

    /// <summary>Null: the server's default lifetime.</summary>
    public int? AccessTokenLifetimeSeconds { get; init; }

    /// <summary>RFC 9449: tokens only with a DPoP proof (and the server's nonce).</summary>
    public bool RequireDpop { get; init; }

    /// <summary>
    /// private_key_jwt or none; omitted for a secret (client_secret_basic and client_secret_post both work), so a
    /// listing never even spells "secret" for an application that has one.
    /// </summary>
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? TokenEndpointAuthMethod { get; init; }

    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public System.Text.Json.JsonElement? Jwks { get; init; }

    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? JwksUri { get; init; }

    public string[]? Audiences { get; init; }

    /// <summary>After rotate-secret with a grace period: until when the previous secret still works.</summary>
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public DateTime? PreviousSecretExpiresAt { get; init; }
}
