using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Shared.Protocol;
using TokenService.Issuance;
using TokenService.Revocation;

namespace TokenService.Applications;

/// <summary>
/// The management API accepts bearer access tokens issued by this service (validated against our own key ring, as
/// AccessTokenReader does: iss, aud, typ at+jwt, lifetime) whose scope holds application:admin. A revoked token, or
/// one of a deleted or rotated-out client, is refused like at the resource servers. RFC 6750 s.3.1 challenges: 401
/// <c>invalid_token</c>, 403 <c>insufficient_scope</c>.
/// </summary>
public static class ManagementAuthentication
{
    public const string Scheme = "ManagementBearer";
    public const string Policy = Scopes.ApplicationAdmin;

    public static IServiceCollection AddManagementAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication().AddJwtBearer(Scheme, _ => { });
        services.AddOptions<JwtBearerOptions>(Scheme).Configure<AccessTokenReader>((o, reader) =>
        {
            o.MapInboundClaims = false;
            o.IncludeErrorDetails = false;
            o.TokenValidationParameters = reader.Parameters(null, validateLifetime: true);
            o.Events = new JwtBearerEvents { OnTokenValidated = RefuseRevokedAsync, OnChallenge = InvalidToken, OnForbidden = InsufficientScope };
        });
        services.AddAuthorizationBuilder().AddPolicy(Policy, policy => policy
            .AddAuthenticationSchemes(Scheme)
            .RequireAuthenticatedUser()
            .RequireAssertion(context => Scopes.Split(context.User.FindFirst(ClaimNames.Scope)?.Value).Contains(Scopes.ApplicationAdmin)));
        return services;
    }

    private static async Task RefuseRevokedAsync(TokenValidatedContext context)
    {
        var revocations = context.HttpContext.RequestServices.GetRequiredService<RevocationList>();
        var jwt = context.SecurityToken as JsonWebToken;
        if (jwt is null || await revocations.IsRevokedAsync(jwt.Id, jwt.TryGetPayloadValue<string>(ClaimNames.ClientId, out var clientId) ? clientId : null,
                new DateTimeOffset(jwt.IssuedAt, TimeSpan.Zero), context.HttpContext.RequestAborted))
        {
            context.Fail("the token has been revoked");
        }
    }

    /// <summary>RFC 6750 s.3.1: a token was presented and refused. The code only; no description that could quote claims.</summary>
    private static Task InvalidToken(JwtBearerChallengeContext context)
    {
        if (context.AuthenticateFailure is not null)
        {
            context.Error = OAuthErrors.InvalidToken;
        }

        return Task.CompletedTask;
    }

    private static Task InsufficientScope(ForbiddenContext context)
    {
        context.Response.Headers.WWWAuthenticate = $"{TokenTypes.Bearer} error=\"{OAuthErrors.InsufficientScope}\", scope=\"{Scopes.ApplicationAdmin}\"";
        return Task.CompletedTask;
    }
}
