using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Shared.Database;
using Shared.Http;
using Shared.Protocol;
using TokenService.Keys;
using TokenService.Users;

namespace TokenService.UserInfo;

/// <summary>
/// GET/POST /userinfo (OIDC Core s.5.3): the bearer access token (RFC 6750 s.2.1) is validated like any resource
/// server would, against our own published keys; the answer is sub plus the claims its scopes allow (s.5.4).
/// </summary>
public static class UserInfoEndpoint
{
    public const string Path = "/userinfo";

    // Thread-safe and costly to build: one for the process.
    private static readonly JsonWebTokenHandler Handler = new();

    public static IEndpointRouteBuilder MapUserInfo(this IEndpointRouteBuilder app)
    {
        app.MapMethods(Path, [HttpMethods.Get, HttpMethods.Post], HandleAsync).DisableAntiforgery();
        return app;
    }

    public static async Task<Results<JsonHttpResult<Dictionary<string, object>>, BearerChallenge>> HandleAsync(
        HttpContext context, KeyRing ring, UserStore users, IOptions<TokenServiceOptions> options, TimeProvider time, CancellationToken ct)
    {
        NoStore.Apply(context.Response);
        string? authorization = context.Request.Headers.Authorization;
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            // RFC 6750 s.3.1: no credentials at all gets a bare challenge, without an error code.
            return new BearerChallenge(null, null);
        }

        if (ring.Current is not { } keys)
        {
            return new BearerChallenge(OAuthErrors.TemporarilyUnavailable, "signing keys are not loaded yet", StatusCodes.Status503ServiceUnavailable);
        }

        var settings = options.Value;
        var result = await Handler.ValidateTokenAsync(authorization[7..].Trim(), new TokenValidationParameters
        {
            ValidIssuer = settings.IssuerTrimmed,
            ValidAudience = settings.Audience,
            IssuerSigningKeys = keys.VerificationKeys,
            ValidTypes = [ClaimNames.AccessTokenType],
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            // Lifetime against the injected clock (tests move it), with the same small skew a resource server allows.
            LifetimeValidator = (notBefore, expires, _, _) =>
                time.GetUtcNow().UtcDateTime is var now && expires > now.AddSeconds(-30) && (notBefore is null || notBefore <= now.AddSeconds(30)),
        });
        var subject = result.IsValid && result.Claims.TryGetValue(ClaimNames.Subject, out var sub) ? sub as string : null;
        if (subject is null)
        {
            return new BearerChallenge(OAuthErrors.InvalidToken, "the access token is invalid or expired");
        }

        var scopes = Scopes.Split(result.Claims.TryGetValue(ClaimNames.Scope, out var scope) ? scope as string : null);
        if (!scopes.Contains(Scopes.OpenId))
        {
            // OIDC Core s.5.3.3 / RFC 6750 s.3.1: the token is fine but was not granted openid.
            return new BearerChallenge(OAuthErrors.InsufficientScope, "the access token lacks the openid scope", StatusCodes.Status403Forbidden);
        }

        try
        {
            if (!Guid.TryParse(subject, out var userId) || await users.FindByIdAsync(userId, ct) is not { } user)
            {
                return new BearerChallenge(OAuthErrors.InvalidToken, "the user no longer exists");
            }

            var claims = new Dictionary<string, object> { [ClaimNames.Subject] = subject };
            if (scopes.Contains(Scopes.Profile))
            {
                claims[ClaimNames.Name] = user.Name;
                claims[ClaimNames.PreferredUsername] = user.Username;
            }

            if (scopes.Contains(Scopes.Email))
            {
                claims[ClaimNames.Email] = user.Email;
                claims[ClaimNames.EmailVerified] = user.EmailVerified;
            }

            return TypedResults.Json(claims);
        }
        catch (Exception e) when (Postgres.IsUnavailable(e))
        {
            return new BearerChallenge(OAuthErrors.TemporarilyUnavailable, "try again shortly", StatusCodes.Status503ServiceUnavailable);
        }
    }
}

/// <summary>RFC 6750 s.3: a 401/403 with WWW-Authenticate: Bearer, and error/error_description when there is one.</summary>
public sealed record BearerChallenge(string? Error, string? Description, int StatusCode = StatusCodes.Status401Unauthorized) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCode;
        response.Headers.WWWAuthenticate = Error is null
            ? "Bearer"
            : $"Bearer error=\"{Error}\", error_description=\"{Description}\"";
        if (StatusCode == StatusCodes.Status503ServiceUnavailable)
        {
            response.Headers.RetryAfter = "1";
        }

        return Task.CompletedTask;
    }
}
