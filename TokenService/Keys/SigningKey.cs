namespace TokenService.Keys;

/// <summary>
/// A signing key row: RSA (RS256, PS256: n and e) or EC P-256 (ES256: x and y). The private half stays sealed until
/// <see cref="SigningKeyStore"/> opens it.
/// </summary>
public sealed record SigningKey
{
    public required string Kid { get; init; }
    public string Algorithm { get; init; } = Shared.Protocol.SigningAlgorithms.RS256;
    public string? PublicModulus { get; init; }
    public string? PublicExponent { get; init; }
    public string? PublicX { get; init; }
    public string? PublicY { get; init; }
    public required byte[] PrivateKeySealed { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime ActivatesAt { get; init; }
    public DateTime? RetiredAt { get; init; }
}

/// <summary>Where a key is in its life (SigningKeyLifecycle decides).</summary>
public enum KeyState
{
    /// <summary>Published in the JWKS, not yet used to sign: caches learn it first.</summary>
    Pending,

    /// <summary>Signs new tokens.</summary>
    Active,

    /// <summary>Replaced by a newer key; still published while tokens it signed can be alive.</summary>
    Retiring,

    /// <summary>No live token can carry it: no longer published.</summary>
    Expired,
}
