using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Shared.Protocol;
using TokenService.Applications;

namespace TokenService.Token;

/// <summary>
/// private_key_jwt (RFC 7523 s.2.2 and s.3, OIDC Core s.9): a JWT signed with one of the keys the application
/// registered, with iss = sub = the client id, aud = the issuer or the token endpoint URL, exp no further ahead than
/// <see cref="MaxLifetime"/>, nbf and iat not in the future (beyond <see cref="ClockSkew"/>), and a jti used once.
/// Every failure is the same invalid_client to the caller; the reason goes to the log, never the assertion.
/// </summary>
public sealed partial class ClientAssertionVerifier(
    ClientAssertionReplayStore replays, RemoteJwks remoteJwks, IOptions<TokenServiceOptions> options, TimeProvider time,
    ILogger<ClientAssertionVerifier> logger)
{
    /// <summary>
    /// An assertion is made for one request: one that claims to live longer is refused (its jti row would too). Ten
    /// minutes, because MSAL (WithCertificate) signs its assertions for exactly that long.
    /// </summary>
    public static readonly TimeSpan MaxLifetime = TimeSpan.FromMinutes(10);

    public static readonly TimeSpan ClockSkew = TimeSpan.FromSeconds(30);

    public const int MaxJtiLength = 256;

    private readonly JsonWebTokenHandler handler = new() { MapInboundClaims = false };

    /// <summary>Parsed key sets by the cached row they came from (a new row, after an update, parses again).</summary>
    private readonly ConditionalWeakTable<Application, IList<SecurityKey>> keysByRow = new();

    /// <summary>Verifies for an unknown client id too, against keys no one holds, so both cost the same work.</summary>
    private static readonly IList<SecurityKey> NobodysKeys = [new RsaSecurityKey(System.Security.Cryptography.RSA.Create(2048))];

    /// <summary>The client id the assertion names (iss), read without trusting it; null when it is no JWT.</summary>
    public static string? ClaimedClientId(string assertion) =>
        Unverified(assertion) is { } jwt && jwt.TryGetPayloadValue<string>(ClaimNames.Issuer, out var iss) ? iss : null;

    private static JsonWebToken? Unverified(string assertion)
    {
        try
        {
            return new JsonWebToken(assertion);
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenMalformedException)
        {
            return null;
        }
    }

    /// <summary>True when <paramref name="assertion"/> proves <paramref name="application"/> (null: unknown id, always false).</summary>
    public async Task<bool> VerifyAsync(Application? application, string clientId, string assertion, CancellationToken ct)
    {
        var keys = application switch
        {
            { TokenEndpointAuthMethod: ClientAuthenticationMethods.PrivateKeyJwt, Jwks: { } jwks } =>
                keysByRow.GetValue(application, _ => ApplicationKeys.Parse(jwks) ?? []),
            // The key id picks the set's key and, when the set lacks it, fetches the set again (the client rotated).
            { TokenEndpointAuthMethod: ClientAuthenticationMethods.PrivateKeyJwt, JwksUri: { } uri } =>
                await remoteJwks.GetAsync(uri, Unverified(assertion)?.Kid is { Length: > 0 and <= 256 } kid ? kid : null, ct),
            _ => NobodysKeys,
        };
        var issuer = options.Value.IssuerTrimmed;
        var result = await handler.ValidateTokenAsync(assertion, new TokenValidationParameters
        {
            ValidIssuer = clientId,
            ValidAudiences = [issuer, issuer + TokenEndpoint.Path, issuer + "/"],
            IssuerSigningKeys = keys,
            ValidAlgorithms = ClientAuthenticationMethods.AssertionSigningAlgorithms,
            RequireSignedTokens = true,
            // Lifetime is checked below against the injected clock, with our own bounds.
            ValidateLifetime = false,
            RequireExpirationTime = false,
            TryAllIssuerSigningKeys = true,
        });
        if (!result.IsValid || application is null || keys == NobodysKeys)
        {
            LogRefused(logger, clientId.Length > 128 ? clientId[..128] : clientId, result.Exception?.GetType().Name ?? "no keys");
            return false;
        }

        var jwt = (JsonWebToken)result.SecurityToken;
        if (Problem(jwt, clientId) is { } problem)
        {
            LogRefused(logger, clientId, problem);
            return false;
        }

        if (!await replays.TryUseAsync(clientId, jwt.Id, jwt.ValidTo, time.GetUtcNow().UtcDateTime, ct))
        {
            LogRefused(logger, clientId, "jti replayed");
            return false;
        }

        return true;
    }

    /// <summary>RFC 7523 s.3 items 2, 4, 5, 6, 7: what the signature check leaves to us.</summary>
    private string? Problem(JsonWebToken jwt, string clientId)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (!jwt.TryGetPayloadValue<string>(ClaimNames.Subject, out var sub) || sub != clientId)
        {
            return "sub is not the client id";
        }

        if (!jwt.TryGetPayloadValue<long>(ClaimNames.Expires, out _) || jwt.ValidTo + ClockSkew <= now)
        {
            return "exp missing or past";
        }

        if (jwt.ValidTo > now + MaxLifetime + ClockSkew)
        {
            return "exp too far ahead";
        }

        if (jwt.TryGetPayloadValue<long>(ClaimNames.NotBefore, out _) && jwt.ValidFrom > now + ClockSkew)
        {
            return "nbf in the future";
        }

        if (jwt.TryGetPayloadValue<long>(ClaimNames.IssuedAt, out _) && jwt.IssuedAt > now + ClockSkew)
        {
            return "iat in the future";
        }

        return string.IsNullOrEmpty(jwt.Id) || jwt.Id.Length > MaxJtiLength ? "jti missing or too long" : null;
    }

    [LoggerMessage(2010, LogLevel.Information, "Client assertion refused for {ClientId}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string clientId, string reason);
}
