using System.Net;

namespace TokenService.Tests.Authorize;

/// <summary>Failed sign-ins are rate-limited per username (5 a minute) and per client address (20 a minute).</summary>
public sealed class LoginThrottleTests : SignInFixture
{
    [Test]
    public async Task Sixth_failure_for_one_username_gets_429_with_retry_after_even_with_the_right_password()
    {
        using var browser = NewBrowser();
        using var form = await browser.AuthorizeAsync(NativeRequest(NativeClientId, Challenge));
        var html = await form.Content.ReadAsStringAsync();
        for (var i = 0; i < 5; i++)
        {
            using var failed = await browser.SubmitLoginAsync(html, "Mallory-Target", "wrong password " + i);
            Assert.That(failed.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"attempt {i}");
        }

        using var limited = await browser.SubmitLoginAsync(html, "mallory-target", "wrong password");
        Assert.Multiple(async () =>
        {
            Assert.That(limited.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
            Assert.That(limited.Headers.RetryAfter?.Delta?.TotalSeconds, Is.InRange(1, 60));
            Assert.That(await limited.Content.ReadAsStringAsync(), Does.Contain("Too many failed sign-in attempts"));
        });

        // Another username from the same address is not blocked yet (its budget is separate, the address has 14 left).
        using var other = await browser.SubmitLoginAsync(html, Username, Password);
        Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.SeeOther));
    }

}

/// <summary>The per-address budget, on a host of its own so the username test's failures do not count against it.</summary>
public sealed class AddressThrottleTests : SignInFixture
{
    [Test]
    public async Task Twentieth_failure_from_one_address_blocks_every_username()
    {
        using var browser = NewBrowser();
        using var form = await browser.AuthorizeAsync(NativeRequest(NativeClientId, Challenge));
        var html = await form.Content.ReadAsStringAsync();
        for (var i = 0; i < 20; i++)
        {
            using var attempt = await browser.SubmitLoginAsync(html, "spray-" + i, "wrong password");
            Assert.That(attempt.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"attempt {i}: each username is below its own limit");
        }

        using var limited = await browser.SubmitLoginAsync(html, "spray-21", "wrong password");
        Assert.That(limited.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));

        // Now even the right password for an untouched username waits: the address is over its budget.
        using var blocked = await browser.SubmitLoginAsync(html, Username, Password);
        Assert.That(blocked.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests));
    }
}

/// <summary>Issue 11 point 7: the attempt is counted before the password hash, like the client limiter.</summary>
public sealed class ConcurrentLoginThrottleTests : SignInFixture
{
    [Test]
    public async Task Two_hundred_concurrent_wrong_passwords_for_one_user_hash_at_most_the_limit()
    {
        using var browser = NewBrowser();
        using var form = await browser.AuthorizeAsync(NativeRequest(NativeClientId, Challenge));
        var html = await form.Content.ReadAsStringAsync();
        var responses = await Task.WhenAll(Enumerable.Range(0, 200).Select(async i =>
        {
            using var response = await browser.SubmitLoginAsync(html, Username, "wrong password " + i);
            return response.StatusCode;
        }));
        var hashed = responses.Count(s => s == HttpStatusCode.OK);
        var statuses = string.Join(", ", responses.GroupBy(s => (int)s).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}"));
        TestContext.Out.WriteLine($"200 concurrent wrong passwords: {hashed} reached the password check " +
                                  $"(limit {TokenService.Authorize.LoginThrottle.FailuresPerUsername}); statuses {statuses}");
        Assert.Multiple(() =>
        {
            Assert.That(hashed, Is.LessThanOrEqualTo(TokenService.Authorize.LoginThrottle.FailuresPerUsername), statuses);
            // The rest are held back: 429, or 503 + Retry-After when 200 requests at once exhaust the database pool
            // before the throttle is reached (the authorize endpoint looks the client up first). None is hashed.
            Assert.That(responses.Where(s => s != HttpStatusCode.OK),
                Is.All.EqualTo(HttpStatusCode.TooManyRequests).Or.EqualTo(HttpStatusCode.ServiceUnavailable), statuses);
            Assert.That(responses.Count(s => s == HttpStatusCode.TooManyRequests), Is.GreaterThan(150), statuses);
        });
    }
}
