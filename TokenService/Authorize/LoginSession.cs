using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
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
        if (request.Cookies[CookieName] is not { Length: > 0 and < 2048 } cookie)
        {
            return null;
        }

        string payload;
        try
        {
            payload = protector.Unprotect(cookie);
        }
        catch (CryptographicException)
        {
            return null;
        }

        var parts = payload.Split('|');
        if (parts.Length != 4 || !Guid.TryParse(parts[0], out var userId) ||
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
    /// HttpOnly (no script reads it), SameSite=Lax (sent on the top-level GET a client redirects to, not on cross-site
    /// POSTs), Secure except on loopback hosts, where browsers and tests talk plain http.
    /// </summary>
    public void Write(HttpContext context, User user, DateTimeOffset authTime)
    {
        var expires = authTime + lifetime;
        var payload = string.Create(CultureInfo.InvariantCulture,
            $"{user.Id}|{authTime.ToUnixTimeSeconds()}|{user.SessionVersion}|{expires.ToUnixTimeSeconds()}");
        context.Response.Cookies.Append(CookieName, protector.Protect(payload), new CookieOptions
        {
            HttpOnly = true,
            Secure = !IsLoopback(context.Request.Host.Host),
            SameSite = SameSiteMode.Lax,
            Path = "/",
            IsEssential = true,
        });
    }

    public static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
}
