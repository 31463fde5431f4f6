namespace TokenService.RefreshTokens;

/// <summary>
/// One authorization's line of refresh tokens (RFC 9700 s.4.14.2). Every rotation adds a token to the family;
/// the family carries what they all share: client, user, granted scopes, auth_time and the absolute expiry.
/// </summary>
public sealed record RefreshTokenFamily
{
    /// <summary>Also the grant id (ClaimNames.GrantId) of every access token of the grant.</summary>
    public required Guid Id { get; init; }
    public required string ClientId { get; init; }
    public required Guid UserId { get; init; }

    /// <summary>The authorization code it came from, so a replayed code can revoke it (RFC 6749 s.4.1.2).</summary>
    public Guid? CodeId { get; init; }

    /// <summary>What the user granted; a refresh may narrow the access token's scope, never widen it (RFC 6749 s.6).</summary>
    public required string[] Scopes { get; init; }

    public required DateTime AuthTime { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime ExpiresAt { get; init; }
    public DateTime? RevokedAt { get; init; }

    /// <summary>The tenant chosen at sign-in: every access token of the grant carries it.</summary>
    public string? Tenant { get; init; }

    /// <summary>RFC 8707: the resource named at /oauth2/authorize, the default for each refresh.</summary>
    public string? Resource { get; init; }

    /// <summary>
    /// RFC 9449 s.5: the thumbprint of the DPoP key the grant was obtained with; null: obtained as Bearer. A public
    /// client must prove this very key on every refresh; a confidential one (already bound by its credentials) must
    /// still send a proof, so the grant never falls back to Bearer tokens.
    /// </summary>
    public string? DPoPJkt { get; init; }
}

/// <summary>What presenting a refresh token led to.</summary>
public enum RefreshOutcome
{
    /// <summary>The token was current: it is now consumed and a successor issued.</summary>
    Rotated,

    /// <summary>The token had already been rotated: someone holds a copy, so the whole family is now revoked.</summary>
    Reused,

    /// <summary>Unknown, another client's, expired, or its family revoked.</summary>
    Invalid,

    /// <summary>The grant's checks refused this refresh (scope too wide, access withdrawn); nothing was changed.</summary>
    Refused,
}
