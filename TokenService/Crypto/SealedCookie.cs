using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace TokenService.Crypto;

/// <summary>
/// A cookie whose value is a few '|'-separated fields sealed with Data Protection (authenticated encryption; the key
/// ring is shared by every instance through the database). The sign-in session and the Console session both use it;
/// each keeps its own purpose string, so one cookie never opens as the other.
/// </summary>
public static class SealedCookie
{
    /// <summary>Our sealed values are a few hundred characters; anything longer is not ours and is not decrypted.</summary>
    private const int MaxLength = 2048;

    /// <summary>The fields, or null when the cookie is absent, forged, sealed for another purpose or of another shape.</summary>
    public static string[]? Open(HttpRequest request, string name, IDataProtector protector, int fields)
    {
        if (request.Cookies[name] is not { Length: > 0 and < MaxLength } cookie)
        {
            return null;
        }

        try
        {
            var parts = protector.Unprotect(cookie).Split('|');
            return parts.Length == fields ? parts : null;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>HttpOnly (no script reads it) and Secure except on loopback hosts, where browsers and tests talk plain http.</summary>
    public static void Seal(
        HttpContext context, string name, IDataProtector protector, string payload, SameSiteMode sameSite, string path) =>
        context.Response.Cookies.Append(name, protector.Protect(payload), new CookieOptions
        {
            HttpOnly = true,
            Secure = !IsLoopback(context.Request.Host.Host),
            SameSite = sameSite,
            Path = path,
            IsEssential = true,
        });

    public static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
}
