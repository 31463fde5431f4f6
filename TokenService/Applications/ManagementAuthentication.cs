using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Shared.Protocol;
using TokenService.Issuance;

namespace TokenService.Applications;

/// <summary>
/// The management API (/applications, /users) accepts bearer access tokens issued by this service for its own
/// audience (RFC 8707: a token minted for the ResourceApi is refused here with invalid_token) whose scope holds
/// application:admin. Validation is the one reader's (AccessTokenReader.ValidateAsync): lifetime, and no revoked
/// jti, grant or client. RFC 6750 s.3.1 challenges by Shared.Protocol.BearerChallenge: 401 <c>invalid_token</c>,
/// 403 <c>insufficient_scope</c>; the code only, no description that could quote claims.
/// </summary>
public static class ManagementAuthentication
{
    public const string Scheme = "ManagementBearer";
    public const string Policy = Scopes.ApplicationAdmin;

    public static IServiceCollection AddManagementAuthentication(this IServiceCollection services)
    {
        // The only scheme would otherwise become the default, which authenticates every request, token requests too
        // (a handler resolved per request on the hot path): the policy below names the scheme where it is wanted. The
        // switch is process-wide; the ResourceApi (same process in tests) names its default scheme explicitly.
        AppContext.SetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", true);
        services.AddAuthentication().AddScheme<AuthenticationSchemeOptions, Handler>(Scheme, _ => { });
        services.AddAuthorizationBuilder().AddPolicy(Policy, policy => policy
            .AddAuthenticationSchemes(Scheme)
            .RequireAuthenticatedUser()
            .RequireAssertion(context => Scopes.Split(context.User.FindFirst(ClaimNames.Scope)?.Value).Contains(Scopes.ApplicationAdmin)));
        return services;
    }

    private sealed class Handler(
        IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, AccessTokenReader reader, Audiences audiences)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            string? authorization = Request.Headers.Authorization;
            if (authorization is null || !authorization.StartsWith(TokenTypes.Bearer + " ", StringComparison.OrdinalIgnoreCase))
            {
                return AuthenticateResult.NoResult();
            }

            // A database outage while reading revocations throws: DatabaseUnavailableHandler answers 503, never "valid".
            var claims = await reader.ValidateAsync(authorization[7..].Trim(), audiences.Management, Context.RequestAborted);
            if (claims is null)
            {
                return AuthenticateResult.Fail("the token is invalid, expired, revoked or not for this API");
            }

            // RFC 9449 s.7.2: a DPoP-bound token is no Bearer token; this API takes no DPoP proofs (yet), so it is refused.
            if (claims.DPoPJkt is not null)
            {
                return AuthenticateResult.Fail("a DPoP-bound token cannot be used as a Bearer token");
            }

            var identity = new ClaimsIdentity(
                [
                    new Claim(ClaimNames.Subject, claims.Subject ?? claims.ClientId), new Claim(ClaimNames.ClientId, claims.ClientId),
                    new Claim(ClaimNames.Scope, claims.Scope ?? ""), new Claim(ClaimNames.JwtId, claims.Jti),
                ],
                ManagementAuthentication.Scheme, ClaimNames.Subject, null);
            return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), ManagementAuthentication.Scheme));
        }

        protected override Task HandleChallengeAsync(AuthenticationProperties properties)
        {
            // RFC 6750 s.3.1: without credentials a bare challenge; with refused ones, invalid_token.
            string? authorization = Request.Headers.Authorization;
            BearerChallenge.Write(Response, authorization is null ? null : OAuthErrors.InvalidToken);
            return Task.CompletedTask;
        }

        protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
        {
            BearerChallenge.Write(Response, OAuthErrors.InsufficientScope, scopes: [Scopes.ApplicationAdmin]);
            return Task.CompletedTask;
        }
    }
}
