using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using TokenService.Users;
using TokenService.WebConsole;

namespace EndToEnd.Tests;

/// <summary>The Console session's two limits, moved through with a fake clock: idle (15 min) and absolute (8 h).</summary>
public sealed class ConsoleSessionTests
{
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly ConsoleSessions sessions;
    private readonly User user = new() { Id = Guid.NewGuid(), Username = "ada", PasswordHash = "unused" };

    public ConsoleSessionTests() =>
        sessions = new ConsoleSessions(new EphemeralDataProtectionProvider(), Options.Create(new ConsoleOptions()), time);

    [Test]
    public void A_session_unused_for_the_idle_limit_ends_but_each_use_moves_the_limit_on()
    {
        var cookie = Start();
        time.Advance(TimeSpan.FromMinutes(14));
        Assert.That(Read(cookie), Is.Not.Null);
        cookie = Touch(cookie);
        time.Advance(TimeSpan.FromMinutes(14));
        Assert.That(Read(cookie), Is.Not.Null, "14 minutes after the last use");
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.That(Read(cookie), Is.Null, "15 minutes after the last use");
    }

    [Test]
    public void However_active_a_session_ends_at_the_absolute_limit()
    {
        var cookie = Start();
        for (var elapsed = TimeSpan.Zero; elapsed < TimeSpan.FromHours(8) - TimeSpan.FromMinutes(10); elapsed += TimeSpan.FromMinutes(10))
        {
            time.Advance(TimeSpan.FromMinutes(10));
            cookie = Touch(cookie);
        }

        Assert.That(Read(cookie), Is.Not.Null);
        time.Advance(TimeSpan.FromMinutes(10));
        Assert.That(Read(cookie), Is.Null);
    }

    [Test]
    public void A_tampered_cookie_is_no_session()
    {
        var cookie = Start();
        Assert.That(Read(cookie[..^2] + (cookie[^2] == 'A' ? "B" : "A") + cookie[^1]), Is.Null);
    }

    private string Start()
    {
        var context = new DefaultHttpContext();
        sessions.Start(context, user);
        return CookieValue(context);
    }

    private string Touch(string cookie)
    {
        var context = Request(cookie);
        sessions.Touch(context, sessions.Read(context.Request)!);
        return CookieValue(context);
    }

    private ConsoleSession? Read(string cookie) => sessions.Read(Request(cookie).Request);

    private static DefaultHttpContext Request(string cookie)
    {
        var context = new DefaultHttpContext();
        context.Request.Headers.Cookie = $"{ConsoleSessions.CookieName}={cookie}";
        return context;
    }

    private static string CookieValue(HttpContext context)
    {
        var header = context.Response.Headers.SetCookie.ToString();
        var start = header.IndexOf('=', StringComparison.Ordinal) + 1;
        return header[start..header.IndexOf(';', StringComparison.Ordinal)];
    }
}
