using System.Globalization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using TokenService.Crypto;
using TokenService.Users;

namespace TokenService.WebConsole;

/// <summary>Settings under Console: (docs/console.md).</summary>
public sealed class ConsoleOptions
{
    /// <summary>A session unused this long ends (OWASP session management: idle timeout).</summary>
    public int IdleTimeoutSeconds { get; set; } = 15 * 60;

    /// <summary>However active, a session ends this long after sign-in.</summary>
    public int AbsoluteTimeoutSeconds { get; set; } = 8 * 3600;

    /// <summary>Where the ResourceApi answers GraphQL, for the ready-to-paste curl on a new application's page.</summary>
    public string ResourceApiUrl { get; set; } = "http://localhost:5001";
}

/// <summary>
/// An operator's Console session: its random id (what sign-out ends, <see cref="EndedConsoleSessions"/>), who, under
/// which password version, signed in when, last seen when.
/// </summary>
public sealed record ConsoleSession(Guid Id, Guid UserId, int SessionVersion, DateTimeOffset SignedInAt, DateTimeOffset LastSeenAt);

/// <summary>
/// The Console's own cookie, apart from the sign-in session of OAuth clients: sealed with Data Protection, HttpOnly,
/// SameSite=Strict (never sent on a request another site starts), Path=/console, Secure except on loopback. Both
/// limits are checked inside the sealed payload against <see cref="TimeProvider"/>, so a copied cookie cannot outlive them;
/// sign-out ends the session's id for every instance (<see cref="EndedConsoleSessions"/>, checked by ConsoleGate).
/// </summary>
public sealed class ConsoleSessions(IDataProtectionProvider protection, IOptions<ConsoleOptions> options, TimeProvider time)
{
    public const string CookieName = "tss_console";
    public const string CookiePath = "/console";

    private readonly IDataProtector protector = protection.CreateProtector("TokenService.Console.Session.v2");

    public ConsoleSession? Read(HttpRequest request)
    {
        var parts = SealedCookie.Open(request, CookieName, protector, fields: 5);
        if (parts is null || !Guid.TryParseExact(parts[0], "N", out var id) || !Guid.TryParse(parts[1], out var userId) ||
            !int.TryParse(parts[2], CultureInfo.InvariantCulture, out var version) ||
            !long.TryParse(parts[3], CultureInfo.InvariantCulture, out var signedIn) ||
            !long.TryParse(parts[4], CultureInfo.InvariantCulture, out var lastSeen))
        {
            return null;
        }

        var session = new ConsoleSession(id, userId, version, DateTimeOffset.FromUnixTimeSeconds(signedIn),
            DateTimeOffset.FromUnixTimeSeconds(lastSeen));
        var now = time.GetUtcNow();
        return now - session.LastSeenAt >= TimeSpan.FromSeconds(options.Value.IdleTimeoutSeconds) ||
               now - session.SignedInAt >= TimeSpan.FromSeconds(options.Value.AbsoluteTimeoutSeconds)
            ? null
            : session;
    }

    /// <summary>A new session with a new random id (122 random bits from the OS's generator).</summary>
    public void Start(HttpContext context, User user) =>
        Write(context, new ConsoleSession(Guid.NewGuid(), user.Id, user.SessionVersion, time.GetUtcNow(), time.GetUtcNow()));

    /// <summary>Every request made with the session moves its idle limit on.</summary>
    public void Touch(HttpContext context, ConsoleSession session) => Write(context, session with { LastSeenAt = time.GetUtcNow() });

    /// <summary>Clears the browser's cookie; only <see cref="EndedConsoleSessions.EndAsync"/> makes copies of it useless.</summary>
    public static void End(HttpContext context) =>
        context.Response.Cookies.Delete(CookieName,
            new CookieOptions { Path = CookiePath, HttpOnly = true, SameSite = SameSiteMode.Strict });

    private void Write(HttpContext context, ConsoleSession session)
    {
        var payload = string.Create(CultureInfo.InvariantCulture,
            $"{session.Id:N}|{session.UserId}|{session.SessionVersion}|{session.SignedInAt.ToUnixTimeSeconds()}|" +
            $"{session.LastSeenAt.ToUnixTimeSeconds()}");
        SealedCookie.Seal(context, CookieName, protector, payload, SameSiteMode.Strict, CookiePath);
    }
}
