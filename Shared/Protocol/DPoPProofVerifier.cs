using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Primitives;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Shared.Protocol;

/// <summary>A proof that passed <see cref="DPoPProofVerifier"/>: its key's RFC 7638 thumbprint, jti, iat and nonce.</summary>
public sealed record DPoPProof(string Jkt, string Jti, DateTime IssuedAt, string? Nonce);

/// <summary>
/// RFC 9449 s.4.3: the checks every receiver of a DPoP proof makes, the token endpoint's and the ResourceApi's alike.
/// What is left to the caller is what needs state: the jti replay store, and the server nonce. A failure is a short
/// reason of ours (never the validator's text, which can quote the proof), for the log and error_description.
/// </summary>
public sealed class DPoPProofVerifier(TimeProvider time)
{
    /// <summary>A proof is a header, a few claims and a public key; an RSA-4096 proof is about 1.5 KB.</summary>
    public const int MaxLength = 8192;

    public const int MaxJtiLength = 256;

    /// <summary>s.11.1: a proof is made for one request, now; iat further than this from our clock is refused either way.</summary>
    public static readonly TimeSpan IssuedAtWindow = TimeSpan.FromSeconds(60);

    private readonly JsonWebTokenHandler handler = new() { MapInboundClaims = false };

    /// <summary>
    /// <paramref name="headers"/>: every DPoP header value of the request (s.4.3 item 1: exactly one).
    /// <paramref name="url"/>: the request's URL as this server is reached (query and fragment are ignored).
    /// <paramref name="accessToken"/>: at a resource server, the token the proof must be bound to by ath (s.4.3 item 11).
    /// </summary>
    public async Task<(DPoPProof? Proof, string? Problem)> VerifyAsync(StringValues headers, string method, string url, string? accessToken)
    {
        if (headers.Count != 1)
        {
            return Fail("exactly one DPoP header is required");
        }

        // A compact JWS is base64url and two dots: whitespace, a trailing newline or a second value is no proof.
        var proof = headers[0]!;
        if (proof.Length > MaxLength || proof.Count(c => c == '.') != 2 ||
            !proof.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            return Fail("the DPoP proof is not a compact JWT");
        }

        var (key, keyProblem) = HeaderKey(proof);
        if (key is null)
        {
            return Fail(keyProblem!);
        }

        // s.4.3 items 4-7: typ dpop+jwt, an asymmetric alg we accept (never none or HS*), signed by the key in its header.
        var result = await handler.ValidateTokenAsync(proof, new TokenValidationParameters
        {
            IssuerSigningKey = key,
            ValidTypes = [DPoP.ProofType],
            ValidAlgorithms = DPoP.SigningAlgorithms,
            RequireSignedTokens = true,
            ValidateIssuer = false,
            ValidateAudience = false,
            // iat is checked below against the injected clock; proofs carry no exp.
            ValidateLifetime = false,
            RequireExpirationTime = false,
            TryAllIssuerSigningKeys = true,
        });
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt)
        {
            return Fail("the DPoP proof's signature, typ or alg is not acceptable (typ dpop+jwt; RS256, PS256 or ES256 by its jwk)");
        }

        if (Problem(jwt, method, url, accessToken) is { } problem)
        {
            return Fail(problem);
        }

        var nonce = jwt.TryGetPayloadValue<string>(DPoP.Nonce, out var n) ? n : null;
        return (new DPoPProof(Thumbprint(key), jwt.Id, jwt.IssuedAt, nonce), null);
    }

    /// <summary>RFC 7638 s.3: the SHA-256 thumbprint of a public JWK, as cnf.jkt carries it.</summary>
    public static string Thumbprint(JsonWebKey key) => Base64UrlEncoder.Encode(key.ComputeJwkThumbprint());

    /// <summary>s.4.2: ath is base64url(SHA-256(ASCII(access token))).</summary>
    public static string AccessTokenHash(string accessToken) =>
        Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken)));

    /// <summary>s.4.3 item 5: the header's jwk, a public key (no private members) strong enough for our algorithms.</summary>
    private static (JsonWebKey? Key, string? Problem) HeaderKey(string proof)
    {
        try
        {
            using var header = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(proof[..proof.IndexOf('.', StringComparison.Ordinal)]));
            if (header.RootElement.ValueKind != JsonValueKind.Object || !header.RootElement.TryGetProperty(DPoP.Jwk, out var jwk) ||
                jwk.ValueKind != JsonValueKind.Object)
            {
                return (null, "the DPoP proof has no jwk header");
            }

            if (PublicJwk.HasPrivateMembers(jwk))
            {
                return (null, "the DPoP proof's jwk holds private key members");
            }

            var key = new JsonWebKey(jwk.GetRawText());
            return PublicJwk.IsStrongEnough(key) ? (key, null) : (null, "the DPoP proof's jwk must be RSA (2048 bits or more) or EC P-256");
        }
        catch (Exception e) when (e is ArgumentException or FormatException or JsonException or InvalidOperationException)
        {
            return (null, "the DPoP proof's header is not a JSON object with a jwk");
        }
    }

    /// <summary>s.4.3 items 8-11: jti, htm, htu, iat, and ath where a token is presented.</summary>
    private string? Problem(JsonWebToken jwt, string method, string url, string? accessToken)
    {
        if (string.IsNullOrEmpty(jwt.Id) || jwt.Id.Length > MaxJtiLength)
        {
            return "the DPoP proof needs a jti";
        }

        if (!jwt.TryGetPayloadValue<string>(DPoP.HttpMethod, out var htm) || htm != method)
        {
            return "the DPoP proof's htm is not this request's method";
        }

        if (!jwt.TryGetPayloadValue<string>(DPoP.HttpUri, out var htu) || Normalized(htu) is not { } proofUrl ||
            proofUrl != Normalized(url))
        {
            return "the DPoP proof's htu is not this request's URL";
        }

        var now = time.GetUtcNow().UtcDateTime;
        if (!jwt.TryGetPayloadValue<long>(ClaimNames.IssuedAt, out _) || (jwt.IssuedAt - now).Duration() > IssuedAtWindow)
        {
            return "the DPoP proof's iat is missing or not within a minute of now";
        }

        if (accessToken is null)
        {
            return null;
        }

        return jwt.TryGetPayloadValue<string>(DPoP.AccessTokenHash, out var ath) &&
               CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(ath), Encoding.ASCII.GetBytes(AccessTokenHash(accessToken)))
            ? null
            : "the DPoP proof's ath is missing or not the hash of this access token";
    }

    /// <summary>
    /// s.4.3 item 9: htu is compared without query and fragment, after RFC 3986 s.6.2.2/6.2.3 normalisation (case of
    /// scheme and host, default port); only http(s) URLs count.
    /// </summary>
    private static string? Normalized(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http"
            ? uri.GetComponents(UriComponents.SchemeAndServer | UriComponents.Path, UriFormat.UriEscaped)
            : null;

    private static (DPoPProof?, string?) Fail(string problem) => (null, problem);
}
