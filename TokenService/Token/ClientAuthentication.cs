using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Shared;
using TokenService.Applications;
using TokenService.Caching;
using TokenService.Crypto;

namespace TokenService.Token;

/// <summary>
/// The one way a client is verified: client_secret_basic, client_secret_post, or a public client with only
/// client_id. It owns every step of a secret check (parsing, the proven-secret cache, the failure limiter, the
/// hasher), so an endpoint asks one question. Unknown client and wrong secret give the same invalid_client after
/// the same Argon2 work, so responses and timing cannot be used to find client ids. The warm path (application
/// cached, secret proven before) touches neither the database nor Argon2id.
/// </summary>
public sealed partial class ClientAuthentication(
    ApplicationStore store,
    ApplicationCache applications,
    VerifiedSecretCache verifiedSecrets,
    FailedAuthenticationLimiter limiter,
    Argon2idHasher hasher,
    ClientAssertionVerifier assertions,
    TimeProvider time,
    ILogger<ClientAuthentication> logger)
{
    /// <summary>Generated secrets are 47 characters; anything far longer is refused before hashing.</summary>
    public const int MaxSecretLength = 256;

    public const int MaxClientIdLength = 128;

    /// <summary>
    /// Verifications running now, by HMAC(per-process key, client id and secret): concurrent requests with the same
    /// credentials join the one that runs (single flight) instead of each paying Argon2id and each counting against
    /// the failure budget. The key never holds the secret itself.
    /// </summary>
    private readonly ConcurrentDictionary<string, Lazy<Task<Verdict>>> flights = new(StringComparer.Ordinal);

    private readonly byte[] flightKeySecret = RandomNumberGenerator.GetBytes(32);

    /// <summary>The outcome of one secret verification, shared by every request that joined it.</summary>
    private readonly record struct Verdict(Application? Application, int? RetryAfter = null);

    public async Task<(Application? Application, OAuthError? Error)> AuthenticateAsync(HttpRequest http, FormCredentials request,
        CancellationToken ct)
    {
        string? authorization = http.Headers.Authorization;
        if (request.HasAssertion)
        {
            return await AuthenticateAssertionAsync(http, authorization, request, ct);
        }

        var usedBasic = authorization is not null;
        string clientId, secret;
        if (authorization is not null)
        {
            // RFC 6749 s.2.3: exactly one authentication method per request.
            if (request.ClientSecret is not null)
            {
                return (null,
                    OAuthError.InvalidRequest("use one client authentication method: HTTP Basic or client_secret in the body, not both"));
            }

            if (!BasicCredentials.TryParse(authorization, out var basic))
            {
                return (null, OAuthError.InvalidClient(basic: true));
            }

            if (request.ClientId is not null && request.ClientId != basic.Id)
            {
                return (null, OAuthError.InvalidRequest("client_id in the body does not match the HTTP Basic client id"));
            }

            (clientId, secret) = (basic.Id, basic.Secret);
        }
        else if (request.ClientId is not null && request.ClientSecret is not null)
        {
            (clientId, secret) = (request.ClientId, request.ClientSecret);
        }
        else if (request.ClientId is not null)
        {
            return await AuthenticatePublicClientAsync(request.ClientId, ct);
        }
        else
        {
            return (null, OAuthError.InvalidClient(basic: false));
        }

        if (clientId.Length > MaxClientIdLength || secret.Length > MaxSecretLength)
        {
            return (null, OAuthError.InvalidClient(usedBasic));
        }

        var verdict = await VerifySecretAsync(clientId, secret, http.HttpContext.Connection.RemoteIpAddress, ct);
        if (verdict.RetryAfter is { } retryAfter)
        {
            await limiter.Tarpit.PauseAsync(ct);
            return (null, OAuthError.TooManyRequests(retryAfter));
        }

        return verdict.Application is { } application ? (application, null) : (null, OAuthError.InvalidClient(usedBasic));
    }

    /// <summary>
    /// A proven secret is answered from the cache; one due for renewal is still answered from it while one background
    /// verification renews it (no request waits at expiry). Otherwise the request runs or joins the one verification of
    /// this client id and secret in flight.
    /// </summary>
    private async Task<Verdict> VerifySecretAsync(string clientId, string secret, IPAddress? address, CancellationToken ct)
    {
        var application = applications.Cached(clientId);
        var proof = application is null ? SecretProof.Unknown : verifiedSecrets.Check(application, secret);
        if (proof == SecretProof.ProvenRenewalDue)
        {
            // Its own flight key: a request that finds nothing proven must never join a renewal of an older row.
            _ = Flight("renew:", clientId, secret, () => RenewAsync(application!, secret));
        }

        if (proof != SecretProof.Unknown)
        {
            return new Verdict(application);
        }

        // Shared by every waiter, so it does not run on one caller's cancellation token.
        return await Flight("verify:", clientId, secret, () => VerifyAsync(clientId, secret, address)).WaitAsync(ct);
    }

    private Task<Verdict> Flight(string kind, string clientId, string secret, Func<Task<Verdict>> verify)
    {
        var key = kind + FlightKey(clientId, secret);
        var flight = new Lazy<Task<Verdict>>(async () =>
        {
            try
            {
                // Off the caller's stack: the verification's first await must not run inside GetOrAdd.
                await Task.Yield();
                return await verify();
            }
            finally
            {
                flights.TryRemove(key, out _);
            }
        });
        return flights.GetOrAdd(key, flight).Value;
    }

    /// <summary>
    /// The limiter is asked before the database: a flood of made-up client ids from one address costs neither a
    /// round trip each (nor a pooled connection) nor a hash past its budget.
    /// </summary>
    private async Task<Verdict> VerifyAsync(string clientId, string secret, IPAddress? address)
    {
        // A secret proven here before, whose row only left the application cache (the change listener empties it on
        // reconnect): no hash, so no place in the per-address budget. Several clients of one address re-proving at
        // once after a failover got 429 from it (FailoverTests).
        if (verifiedSecrets.Matches(clientId, secret) &&
            await applications.FindAsync(clientId, CancellationToken.None) is { } known &&
            verifiedSecrets.Check(known, secret) != SecretProof.Unknown)
        {
            return new Verdict(known);
        }

        if (limiter.TryBegin(clientId, address) is { } retryAfter)
        {
            return new Verdict(null, retryAfter);
        }

        // Counted as a failure only when the answer is "wrong credentials": an attempt that ends in an exception (the
        // database is down) told the caller nothing about the secret, and a valid client must not spend its budget
        // on an outage (nor an unknown id's budget fill up with 503s and turn into 429s after recovery).
        var failed = false;
        try
        {
            var application = await applications.FindAsync(clientId, CancellationToken.None);
            if (application is not null && verifiedSecrets.Check(application, secret) != SecretProof.Unknown)
            {
                // Proven already; only the row had left its cache.
                return new Verdict(application);
            }

            var result = await hasher.VerifyAsync(secret, application?.SecretHash);
            if (application is not null && result == VerifyResult.Failed && await PreviousSecretMatchesAsync(application, secret))
            {
                // Tokens got with the old secret die with it (AccessTokenRequest.NotAfter).
                return new Verdict(application with { CredentialExpiresAt = application.PreviousSecretExpiresAt });
            }

            if (application is null || result == VerifyResult.Failed)
            {
                failed = true;
                return new Verdict(null);
            }

            verifiedSecrets.Remember(application, secret);
            if (result == VerifyResult.SuccessRehashNeeded)
            {
                // Parameters were raised since this secret was hashed: store a hash at today's cost.
                await store.RehashAsync(application.ClientId, application.SecretVersion, await hasher.HashAsync(secret),
                    CancellationToken.None);
            }

            return new Verdict(application);
        }
        finally
        {
            limiter.End(clientId, address, failed);
        }
    }

    /// <summary>
    /// Re-proves a cached secret against the application as it is now, off the request path. It is no attempt to
    /// guess (the secret is proven), so the limiter is not asked. A failure (the row changed under us) drops the entry.
    /// </summary>
    private async Task<Verdict> RenewAsync(Application application, string secret)
    {
        try
        {
            if (await hasher.VerifyAsync(secret, application.SecretHash) != VerifyResult.Failed)
            {
                verifiedSecrets.Remember(application, secret);
                return new Verdict(application);
            }

            verifiedSecrets.Invalidate(application.ClientId);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The entry stays until its expiry; the next request past it verifies in the foreground.
            LogRenewalFailed(logger, e.GetType().Name);
        }

        return new Verdict(null);
    }

    private string FlightKey(string clientId, string secret) =>
        Convert.ToBase64String(HMACSHA256.HashData(flightKeySecret, Encoding.UTF8.GetBytes($"{clientId.Length}:{clientId}{secret}")));

    /// <summary>
    /// During a rotation's grace period the previous secret still authenticates, until its expiry to the tick. It is
    /// deliberately not remembered in the verified-secret cache (one entry per client, keyed by the current secret
    /// version): the old secret costs an Argon2id verification per request, but can never outlive its expiry there.
    /// </summary>
    private async Task<bool> PreviousSecretMatchesAsync(Application application, string secret) =>
        application.PreviousSecretHash is not null && time.GetUtcNow().UtcDateTime < application.PreviousSecretExpiresAt &&
        await hasher.VerifyAsync(secret, application.PreviousSecretHash) != VerifyResult.Failed;

    /// <summary>
    /// RFC 6749 s.2.1 and s.3.2.1: a public client has no secret and identifies itself with client_id alone. Only an
    /// application registered as public may do so; a confidential one without its secret is invalid_client, the same
    /// answer as an unknown id. What a public client may then do is bounded by its grant types and mandatory PKCE.
    /// </summary>
    private async Task<(Application? Application, OAuthError? Error)> AuthenticatePublicClientAsync(string clientId, CancellationToken ct)
    {
        var application = clientId.Length > MaxClientIdLength ? null : await store.FindByClientIdAsync(clientId, ct);
        return application is { IsPublic: true } ? (application, null) : (null, OAuthError.InvalidClient(basic: false));
    }

    /// <summary>
    /// private_key_jwt (RFC 7523 s.2.2). RFC 6749 s.2.3: one method per request, so an assertion beside a secret or an
    /// Authorization header is invalid_request. The client id is the assertion's iss (client_id, if sent, must agree:
    /// the verifier checks iss against it). A wrong assertion is a failed authentication like a wrong secret: it counts
    /// against the same failure limiter, and unknown ids are verified against keys nobody holds (same work, same answer).
    /// </summary>
    private async Task<(Application? Application, OAuthError? Error)> AuthenticateAssertionAsync(HttpRequest http, string? authorization,
        FormCredentials request, CancellationToken ct)
    {
        if (authorization is not null || request.ClientSecret is not null)
        {
            return (null,
                OAuthError.InvalidRequest("use one client authentication method: a client assertion, HTTP Basic or client_secret"));
        }

        const string jwtBearer = Shared.Protocol.ClientAuthenticationMethods.JwtBearerAssertionType;
        if (request.ClientAssertionType != jwtBearer || request.ClientAssertion is null)
        {
            return (null, OAuthError.InvalidRequest($"client_assertion and client_assertion_type={jwtBearer} go together"));
        }

        var clientId = request.ClientId ?? ClientAssertionVerifier.ClaimedClientId(request.ClientAssertion);
        if (clientId is null || clientId.Length > MaxClientIdLength)
        {
            return (null, OAuthError.InvalidClient(basic: false));
        }

        var address = http.HttpContext.Connection.RemoteIpAddress;
        if (limiter.TryBegin(clientId, address) is { } retryAfter)
        {
            await limiter.Tarpit.PauseAsync(ct);
            return (null, OAuthError.TooManyRequests(retryAfter));
        }

        var failed = false;
        try
        {
            var application = await applications.FindAsync(clientId, CancellationToken.None);
            failed = !await assertions.VerifyAsync(application, clientId, request.ClientAssertion, CancellationToken.None);
            return failed ? (null, OAuthError.InvalidClient(basic: false)) : (application, null);
        }
        finally
        {
            limiter.End(clientId, address, failed);
        }
    }

    [LoggerMessage(2002, LogLevel.Warning, "Background renewal of a proven client secret failed: {Reason}")]
    private static partial void LogRenewalFailed(ILogger logger, string reason);
}
