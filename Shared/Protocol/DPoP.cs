namespace Shared.Protocol;

/// <summary>RFC 9449 (DPoP) wire strings: headers, token type, proof claims and error codes, in one place.</summary>
public static class DPoP
{
    /// <summary>s.4.1: the request header that carries the proof, and the authorization scheme of a bound token (s.7.1).</summary>
    public const string Header = "DPoP";

    public const string Scheme = "DPoP";

    /// <summary>s.5: the token_type of a DPoP-bound access token (token response and introspection).</summary>
    public const string TokenType = "DPoP";

    /// <summary>s.8: the header in which a server hands out the nonce a proof must carry.</summary>
    public const string NonceHeader = "DPoP-Nonce";

    /// <summary>s.4.2: the typ of a proof JWT.</summary>
    public const string ProofType = "dpop+jwt";

    public const string HttpMethod = "htm";
    public const string HttpUri = "htu";
    public const string AccessTokenHash = "ath";
    public const string Nonce = "nonce";
    public const string Jwk = "jwk";

    /// <summary>RFC 7800 s.3.1 confirmation claim, and RFC 9449 s.6.1 its JWK SHA-256 thumbprint member.</summary>
    public const string Confirmation = "cnf";
    public const string Thumbprint = "jkt";

    /// <summary>s.5 and s.7.1: the proof is missing, malformed or does not fit the request.</summary>
    public const string InvalidProof = "invalid_dpop_proof";

    /// <summary>s.8: the proof must carry the nonce in the DPoP-Nonce header of this response.</summary>
    public const string UseNonce = "use_dpop_nonce";

    /// <summary>Asymmetric only (s.4.2: never none nor a MAC); discovery: dpop_signing_alg_values_supported.</summary>
    public static readonly IReadOnlyList<string> SigningAlgorithms = ClientAuthenticationMethods.AssertionSigningAlgorithms;
}
