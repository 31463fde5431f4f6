namespace TokenService.Token;

/// <summary>
/// Single-page apps call the token, revocation and userinfo endpoints and read discovery and the JWKS with fetch()
/// from their own origin. These endpoints authenticate by what is in the request (client_id + PKCE verifier, a
/// bearer token), never by cookies, so any origin may call them: credentials mode is off, so no browser sends this
/// service's cookies along. The login page, authorize and the management API get no CORS headers at all.
/// </summary>
public static class BrowserCors
{
    public const string Policy = "browser-clients";

    private static readonly PathString[] Paths =
    [
        TokenEndpoint.Path, "/oauth2/revoke", "/userinfo", "/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server", "/.well-known/jwks.json",
    ];

    public static IServiceCollection AddBrowserCors(this IServiceCollection services) =>
        services.AddCors(o => o.AddPolicy(Policy, p => p
            .AllowAnyOrigin()
            .WithMethods(HttpMethods.Get, HttpMethods.Post)
            // RFC 9449: a browser client sends its proof in DPoP and must read the next nonce from DPoP-Nonce.
            .WithHeaders("Authorization", "Content-Type", Shared.Protocol.DPoP.Header)
            .WithExposedHeaders("WWW-Authenticate", "Retry-After", Shared.Protocol.DPoP.NonceHeader)
            .SetPreflightMaxAge(TimeSpan.FromHours(1))));

    public static IApplicationBuilder UseBrowserCors(this IApplicationBuilder app) =>
        app.UseWhen(c => Paths.Contains(c.Request.Path), branch => branch.UseCors(Policy));
}
