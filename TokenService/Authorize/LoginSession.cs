using System.Globalization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using TokenService.Crypto;
using TokenService.Users;

namespace TokenService.Authorize;

/// <summary>Who signed in, when, and under which password version.</summary>
public sealed record LoginSession(Guid UserId, DateTimeOffset AuthTime, int SessionVersion);

/// <summary>
/// The login session cookie: user id, auth_time and session version, sealed with Data Protection (authenticated
/// encryption; the key ring is shared by every instance through the database). The expiry is inside the sealed
/// payload and checked against <see cref="TimeProvider"/>, so a copied cookie cannot be extended.
/// </summary>
public sealed class LoginSessions(IDataProtectionProvider protection, IOptions<TokenServiceOptions> options, TimeProvider time)
{
    public const string CookieName = "tss_session";

    private readonly IDataProtector protector = protection.CreateProtector("TokenService.LoginSession.v1");
    private readonly TimeSpan lifetime = TimeSpan.FromSeconds(options.Value.LoginSessionLifetimeSeconds);

    public LoginSession? Read(HttpRequest request)
    {
        var parts = SealedCookie.Open(request, CookieName, protector, fields: 4);
        if (parts is null || !Guid.TryParse(parts[0], out var userId) ||
            !long.TryParse(parts[1], CultureInfo.InvariantCulture, out var authTime) ||
            !int.TryParse(parts[2], CultureInfo.InvariantCulture, out var version) ||
            !long.TryParse(parts[3], CultureInfo.InvariantCulture, out var expires) ||
            time.GetUtcNow().ToUnixTimeSeconds() >= expires)
        {
            return null;
        }

        return new LoginSession(userId, DateTimeOffset.FromUnixTimeSeconds(authTime), version);
    }

    /// <summary>
    /// SameSite=Lax: sent on the top-level GET a client redirects to, not on cross-site POSTs (HttpOnly, and Secure
    /// except on loopback, as every sealed cookie).
    /// </summary>
    public void Write(HttpContext context, User user, DateTimeOffset authTime)
    {
        var expires = authTime + lifetime;
        var payload = string.Create(CultureInfo.InvariantCulture,
            $"{user.Id}|{authTime.ToUnixTimeSeconds()}|{user.SessionVersion}|{expires.ToUnixTimeSeconds()}");
        SealedCookie.Seal(context, CookieName, protector, payload, SameSiteMode.Lax, "/");
    }

}
