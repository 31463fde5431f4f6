using Microsoft.Extensions.Options;
using Shared.Protocol;
using TokenService.Applications;

namespace TokenService.Token;

/// <summary>
/// RFC 9449 s.5 at the token endpoint: the DPoP header, if any, is a proof for POST to our token endpoint URL, made
/// within a minute, with a jti used once (ClientAssertionReplayStore, under its own prefix, so every instance sees it).
/// An application with requireDpop must send one, with a current server nonce (s.8). Another application's proof may
/// carry no nonce; one that carries a nonce we no longer accept is told the current one. The result is the key's
/// thumbprint, which the grant binds the tokens to (cnf.jkt).
/// </summary>
public sealed partial class DPoPProofCheck(
    DPoPProofVerifier verifier,
    DPoPNonces nonces,
    ClientAssertionReplayStore replays,
    IOptions<TokenServiceOptions> options,
    TimeProvider time,
    ILogger<DPoPProofCheck> logger)
{
    /// <summary>Replay rows of DPoP proofs are keyed by this prefix and the key's thumbprint, never a client id.</summary>
    public const string ReplayPrefix = "dpop:";

    /// <summary>(null, null): no proof and none needed; the token is a Bearer token.</summary>
    public async Task<(string? Jkt, OAuthError? Error)> CheckAsync(HttpRequest http, Application application, CancellationToken ct)
    {
        var headers = http.Headers[DPoP.Header];
        if (headers.Count == 0)
        {
            return application.RequireDpop
                ? (null, OAuthError.InvalidDPoPProof("this application must send a DPoP proof (RFC 9449)") with
                {
                    DPoPNonce = nonces.Current(),
                })
                : (null, null);
        }

        var url = options.Value.IssuerTrimmed + TokenEndpoint.Path;
        var (proof, problem) = await verifier.VerifyAsync(headers, HttpMethods.Post, url, null);
        if (proof is null)
        {
            LogRefused(logger, application.ClientId, problem!);
            return (null, OAuthError.InvalidDPoPProof(problem!));
        }

        if ((application.RequireDpop || proof.Nonce is not null) && !nonces.IsCurrent(proof.Nonce))
        {
            return (null, OAuthError.UseDPoPNonce() with { DPoPNonce = nonces.Current() });
        }

        // Kept for as long as the iat window would accept the proof.
        var expiresAt = proof.IssuedAt + DPoPProofVerifier.IssuedAtWindow;
        if (!await replays.TryUseAsync(ReplayPrefix + proof.Jkt, proof.Jti, expiresAt, time.GetUtcNow().UtcDateTime, ct))
        {
            LogRefused(logger, application.ClientId, "jti replayed");
            return (null, OAuthError.InvalidDPoPProof("the DPoP proof was used before (jti)"));
        }

        return (proof.Jkt, null);
    }

    /// <summary>s.8.2: a successful response may hand out the next nonce, so a client never needs a failed round trip.</summary>
    public string NextNonce() => nonces.Current();

    [LoggerMessage(2011, LogLevel.Information, "DPoP proof refused for {ClientId}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string clientId, string reason);
}
