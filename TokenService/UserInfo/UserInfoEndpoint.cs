using Microsoft.AspNetCore.Http.HttpResults;
using Shared.Database;
using Shared.Http;
using Shared.Protocol;
using TokenService.Issuance;
using TokenService.Keys;
using TokenService.Users;

namespace TokenService.UserInfo;

/// <summary>
/// GET/POST /userinfo (OIDC Core s.5.3): the bearer access token (RFC 6750 s.2.1) is validated by the one reader
/// (AccessTokenReader.ValidateAsync), so a revoked token, a revoked grant or a deleted application is refused here as
/// at every other endpoint; the answer is sub plus the claims its scopes allow (s.5.4).
/// </summary>
public static class UserInfoEndpoint
{
    public const string Path = "/userinfo";

    public static IEndpointRouteBuilder MapUserInfo(this IEndpointRouteBuilder app)
    {
        app.MapMethods(Path, [HttpMethods.Get, HttpMethods.Post], HandleAsync).DisableAntiforgery();
        return app;
    }

    public static async Task<Results<JsonHttpResult<Dictionary<string, object>>, BearerRefusal>> HandleAsync(
        HttpContext context, KeyRing ring, AccessTokenReader reader, UserStore users, CancellationToken ct)
    {
        NoStore.Apply(context.Response);
        string? authorization = context.Request.Headers.Authorization;
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            // RFC 6750 s.3.1: no credentials at all gets a bare challenge, without an error code.
            return new BearerRefusal(null, null);
        }

        if (ring.Current is null)
        {
            return BearerRefusal.Unavailable("signing keys are not loaded yet");
        }

        try
        {
            if (await reader.ValidateAsync(authorization[7..].Trim(), audience: null, ct) is not { Subject: { } subject } claims)
            {
                return new BearerRefusal(OAuthErrors.InvalidToken, "the access token is invalid, expired or revoked");
            }

            // RFC 9449 s.7.2: a DPoP-bound token is no Bearer token, and /userinfo takes no DPoP proofs (yet).
            if (claims.DPoPJkt is not null)
            {
                return new BearerRefusal(OAuthErrors.InvalidToken, "a DPoP-bound access token cannot be used as a Bearer token here");
            }

            var scopes = claims.ScopeList;
            if (!scopes.Contains(Scopes.OpenId))
            {
                // OIDC Core s.5.3.3 / RFC 6750 s.3.1: the token is fine but was not granted openid.
                return new BearerRefusal(OAuthErrors.InsufficientScope, "the access token lacks the openid scope", [Scopes.OpenId]);
            }

            if (!Guid.TryParse(subject, out var userId) || await users.FindByIdAsync(userId, ct) is not { } user)
            {
                return new BearerRefusal(OAuthErrors.InvalidToken, "the user no longer exists");
            }

            var claimsOut = new Dictionary<string, object> { [ClaimNames.Subject] = subject };
            if (scopes.Contains(Scopes.Profile))
            {
                claimsOut[ClaimNames.Name] = user.Name;
                claimsOut[ClaimNames.PreferredUsername] = user.Username;
            }

            if (scopes.Contains(Scopes.Email))
            {
                claimsOut[ClaimNames.Email] = user.Email;
                claimsOut[ClaimNames.EmailVerified] = user.EmailVerified;
            }

            return TypedResults.Json(claimsOut);
        }
        catch (Exception e) when (Postgres.IsUnavailable(e))
        {
            return BearerRefusal.Unavailable("try again shortly");
        }
    }
}

/// <summary>RFC 6750 s.3 refusal (header by Shared.Protocol.BearerChallenge), or a 503 while the service cannot tell.</summary>
public sealed record BearerRefusal(string? Error, string? Description, string[]? Scopes = null) : IResult
{
    public bool Unavailable503 { get; init; }

    public static BearerRefusal Unavailable(string description) =>
        new(OAuthErrors.TemporarilyUnavailable, description) { Unavailable503 = true };

    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        BearerChallenge.Write(response, Error, Description, Scopes);
        if (Unavailable503)
        {
            response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            response.Headers.RetryAfter = "1";
        }

        return Task.CompletedTask;
    }
}
