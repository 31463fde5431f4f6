using Shared;
using TokenService.Applications;
using TokenService.Caching;
using TokenService.Crypto;

namespace TokenService.Token;

/// <summary>
/// Who is calling: client_secret_basic, client_secret_post, or a public client with only client_id.
/// Unknown client and wrong secret give the same invalid_client after the same Argon2 work, so responses and
/// timing cannot be used to find client ids. The warm path (application cached, secret proven before) touches
/// neither the database nor Argon2id.
/// </summary>
public sealed class ClientAuthentication(
    ApplicationStore store,
    ApplicationCache applications,
    VerifiedSecretCache verifiedSecrets,
    FailedAuthenticationLimiter limiter,
    Argon2idHasher hasher,
    TimeProvider time)
{
    /// <summary>Generated secrets are 47 characters; anything far longer is refused before hashing.</summary>
    public const int MaxSecretLength = 256;

    public const int MaxClientIdLength = 128;

    public async Task<(Application? Application, OAuthError? Error)> AuthenticateAsync(HttpRequest http, FormCredentials request, CancellationToken ct)
    {
        string? authorization = http.Headers.Authorization;
        var usedBasic = authorization is not null;
        string clientId, secret;
        if (authorization is not null)
        {
            // RFC 6749 s.2.3: exactly one authentication method per request.
            if (request.ClientSecret is not null)
            {
                return (null, OAuthError.InvalidRequest("use one client authentication method: HTTP Basic or client_secret in the body, not both"));
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

        var application = await applications.FindAsync(clientId, ct);
        if (application is not null && verifiedSecrets.Matches(application, secret))
        {
            return (application, null);
        }

        var address = http.HttpContext.Connection.RemoteIpAddress;
        if (limiter.TryBegin(clientId, address) is { } retryAfter)
        {
            await limiter.PauseBeforeRefusalAsync(ct);
            return (null, OAuthError.TooManyRequests(retryAfter));
        }

        var result = await hasher.VerifyAsync(secret, application?.SecretHash, ct);
        if (application is not null && result == VerifyResult.Failed && await PreviousSecretMatchesAsync(application, secret, ct))
        {
            // Tokens got with the old secret die with it (AccessTokenRequest.NotAfter).
            limiter.Forgive(clientId, address);
            return (application with { CredentialExpiresAt = application.PreviousSecretExpiresAt }, null);
        }

        if (application is null || result == VerifyResult.Failed)
        {
            // Already counted by TryBegin.
            return (null, OAuthError.InvalidClient(usedBasic));
        }

        limiter.Forgive(clientId, address);
        verifiedSecrets.Remember(application, secret);

        if (result == VerifyResult.SuccessRehashNeeded)
        {
            // Parameters were raised since this secret was hashed: store a hash at today's cost.
            await store.RehashAsync(application.ClientId, application.SecretVersion, await hasher.HashAsync(secret, ct), ct);
        }

        return (application, null);
    }

    /// <summary>
    /// During a rotation's grace period the previous secret still authenticates, until its expiry to the tick. It is
    /// deliberately not remembered in the verified-secret cache (one entry per client, keyed by the current secret
    /// version): the old secret costs an Argon2id verification per request, but can never outlive its expiry there.
    /// </summary>
    private async Task<bool> PreviousSecretMatchesAsync(Application application, string secret, CancellationToken ct) =>
        application.PreviousSecretHash is not null && time.GetUtcNow().UtcDateTime < application.PreviousSecretExpiresAt &&
        await hasher.VerifyAsync(secret, application.PreviousSecretHash, ct) != VerifyResult.Failed;

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
}
