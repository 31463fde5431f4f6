using System.Net;

namespace TokenService.Tests.Authorize;

/// <summary>The login page: contract fields, security headers, antiforgery, the session cookie, failures that reveal nothing.</summary>
public sealed class LoginPageTests : SignInFixture
{
    [Test]
    public async Task Login_page_sends_a_strict_csp_and_anti_framing_headers()
    {
        using var browser = NewBrowser();
        using var response = await browser.AuthorizeAsync(NativeRequest(NativeClientId, Challenge));
        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Multiple(() =>
        {
            Assert.That(csp, Does.Contain("default-src 'none'"));
            Assert.That(csp, Does.Contain("frame-ancestors 'none'"));
            Assert.That(csp, Does.Contain("form-action 'self'"));
            Assert.That(csp, Does.Match("style-src 'sha256-[A-Za-z0-9+/=]+'"));
            Assert.That(csp, Does.Not.Contain("unsafe-inline"));
            Assert.That(response.Headers.GetValues("X-Frame-Options").Single(), Is.EqualTo("DENY"));
            Assert.That(response.Headers.GetValues("Referrer-Policy").Single(), Is.EqualTo("no-referrer"));
            Assert.That(response.Headers.CacheControl?.NoStore, Is.True);
            Assert.That(response.Content.Headers.ContentType?.ToString(), Is.EqualTo("text/html; charset=utf-8"));
        });
    }

    [Test]
    public async Task Every_echoed_value_is_html_encoded()
    {
        using var browser = NewBrowser();
        using var response = await browser.AuthorizeAsync(NativeRequest(NativeClientId, Challenge, ("state", "\"><script>alert(1)</script>")));
        var html = await response.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(html, Does.Not.Contain("<script>"));
            Assert.That(SignInDriver.HiddenFields(html)["state"], Is.EqualTo("\"><script>alert(1)</script>"));
        });
    }

    [Test]
    public async Task Login_post_without_the_antiforgery_token_is_refused()
    {
        using var browser = NewBrowser();
        using var form = await browser.AuthorizeAsync(NativeRequest(NativeClientId, Challenge));
        using var response = await browser.SubmitLoginAsync(await form.Content.ReadAsStringAsync(), Username, Password, withAntiforgery: false);
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(response.Headers.Location, Is.Null);
        });
    }

    [Test]
    public async Task Login_post_with_another_browsers_antiforgery_token_is_refused()
    {
        using var victim = NewBrowser();
        using var attacker = NewBrowser();
        using var attackerForm = await attacker.AuthorizeAsync(NativeRequest(NativeClientId, Challenge));
        using var _ = await victim.AuthorizeAsync(NativeRequest(NativeClientId, Challenge));
        using var response = await victim.SubmitLoginAsync(await attackerForm.Content.ReadAsStringAsync(), Username, Password);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task Wrong_password_and_unknown_user_get_the_same_page_with_the_same_message()
    {
        using var browser = NewBrowser();
        using var form = await browser.AuthorizeAsync(NativeRequest(NativeClientId, Challenge));
        var html = await form.Content.ReadAsStringAsync();
        using var wrong = await browser.SubmitLoginAsync(html, Username, "not the password");
        using var unknown = await browser.SubmitLoginAsync(html, "nobody-here", "not the password");
        var wrongHtml = await wrong.Content.ReadAsStringAsync();
        var unknownHtml = await unknown.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(unknown.StatusCode, Is.EqualTo(wrong.StatusCode));
            Assert.That(wrongHtml, Does.Contain("Invalid username or password"));
            Assert.That(unknownHtml, Does.Contain("Invalid username or password"));
            // Identical apart from the echoed username and the fresh antiforgery token.
            Assert.That(Normalise(unknownHtml, "nobody-here"), Is.EqualTo(Normalise(wrongHtml, Username)));
            Assert.That(wrong.Headers.Location, Is.Null);
        });
    }

    private static string Normalise(string html, string username) =>
        System.Text.RegularExpressions.Regex.Replace(html.Replace(username, "USER", StringComparison.Ordinal),
            "name=\"__RequestVerificationToken\" value=\"[^\"]*\"", "TOKEN");

    [Test]
    public async Task Session_cookie_is_httponly_samesite_lax_and_not_secure_on_loopback()
    {
        using var browser = NewBrowser();
        using var form = await browser.AuthorizeAsync(NativeRequest(NativeClientId, Challenge));
        using var response = await browser.SubmitLoginAsync(await form.Content.ReadAsStringAsync(), Username, Password);
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("tss_session=", StringComparison.Ordinal));
        Assert.Multiple(() =>
        {
            Assert.That(cookie, Does.Contain("httponly"));
            Assert.That(cookie, Does.Contain("samesite=lax"));
            Assert.That(cookie, Does.Not.Contain("secure"));
            Assert.That(cookie, Does.Not.Contain(UserId.ToString()), "sealed, not readable");
        });
    }

    [Test]
    public async Task Session_cookie_is_secure_on_a_public_host()
    {
        using var browser = NewBrowser();
        browser.Browser.DefaultRequestHeaders.Host = "id.example.com";
        using var form = await browser.AuthorizeAsync(NativeRequest(NativeClientId, Challenge));
        using var response = await browser.SubmitLoginAsync(await form.Content.ReadAsStringAsync(), Username, Password);
        var cookie = response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("tss_session=", StringComparison.Ordinal));
        Assert.That(cookie, Does.Contain("secure"));
    }

    [Test]
    public async Task Tampered_session_cookie_is_ignored()
    {
        using var browser = NewBrowser();
        browser.Browser.DefaultRequestHeaders.Add("Cookie", "tss_session=CfDJ8forged");
        using var response = await browser.AuthorizeAsync(NativeRequest(NativeClientId, Challenge));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the login form");
    }
}
