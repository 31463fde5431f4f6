using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Npgsql;
using TokenService.Crypto;
using TokenService.Issuance;
using TokenService.Keys;
using TokenService.RefreshTokens;
using TokenService.Token;

namespace TokenService.Authorize;

/// <summary>Services for user sign-in: the authorization endpoint, codes, sessions, refresh tokens, ID tokens.</summary>
public static class AuthorizeSetup
{
    public static IServiceCollection AddUserSignIn(this IServiceCollection services)
    {
        services.AddSingleton<AuthorizationCodeStore>();
        services.AddSingleton<LoginSessions>();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<RefreshTokenStore>();
        services.AddSingleton<IdTokenIssuer>();
        services.AddSingleton<AuthorizationCodeGrant>();
        services.AddSingleton<RefreshTokenGrant>();

        // One key ring for all instances: in PostgreSQL, each key sealed under the KEK.
        services.AddDataProtection().SetApplicationName("TokenService");
        services.AddOptions<KeyManagementOptions>().Configure<NpgsqlDataSource, KeyEncryption, KeyRing>((o, db, kek, ring) =>
        {
            o.XmlRepository = new PostgresXmlRepository(db, ring);
            o.XmlEncryptor = new KekXmlEncryptor(kek);
        });

        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "tss_antiforgery";
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            // The login page sets X-Frame-Options: DENY itself (antiforgery's default would be SAMEORIGIN).
            o.SuppressXFrameOptionsHeader = true;
        });
        return services;
    }
}
