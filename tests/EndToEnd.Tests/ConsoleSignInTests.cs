using System.Net;
using Microsoft.Playwright;
using Npgsql;
using TestSupport;

namespace EndToEnd.Tests;

/// <summary>Issue 16 point 1 in Chromium: who gets in, the session cookie, the page headers, antiforgery.</summary>
public sealed class ConsoleSignInTests : ConsoleBrowser
{
    [Test]
    public async Task An_anonymous_visit_goes_to_the_sign_in_form_and_back_to_the_page_asked_for_after_sign_in()
    {
        var page = await NewPageAsync();
        await page.GotoAsync("/console/keys");
        Assert.That(page.Url, Does.Contain("/console/sign-in?returnUrl=%2Fconsole%2Fkeys"));
        await AssertAccessibleAsync(page);
        await ScreenshotAsync(page, "sign-in");
        await page.GetByLabel("Username").FillAsync("ada");
        await page.GetByLabel("Password").FillAsync(Password);
        await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }));
        Assert.That(new Uri(page.Url).AbsolutePath, Is.EqualTo("/console/keys"));
    }

    [Test]
    public async Task The_session_cookie_is_HttpOnly_SameSite_Strict_and_scoped_to_the_console()
    {
        var page = await OperatorAsync("ada");
        var cookie = (await page.Context.CookiesAsync()).Single(c => c.Name == "tss_console");
        Assert.Multiple(() =>
        {
            Assert.That(cookie.HttpOnly, Is.True);
            Assert.That(cookie.SameSite, Is.EqualTo(SameSiteAttribute.Strict));
            Assert.That(cookie.Path, Is.EqualTo("/console"));
            Assert.That(cookie.Expires, Is.EqualTo(-1), "a session cookie: gone when the browser closes");
        });
    }

    [Test]
    public async Task Every_page_carries_a_strict_csp_without_inline_script_and_refuses_framing()
    {
        var page = await OperatorAsync("ada");
        var response = await page.GotoAsync("/console/applications");
        var headers = await response!.AllHeadersAsync();
        Assert.Multiple(() =>
        {
            Assert.That(headers["content-security-policy"], Does.Contain("script-src 'self'").And.Contain("frame-ancestors 'none'")
                .And.Contain("default-src 'none'").And.Not.Contain("unsafe-inline"));
            Assert.That(headers["x-frame-options"], Is.EqualTo("DENY"));
            Assert.That(headers["cache-control"], Is.EqualTo("no-store"));
            Assert.That(CspViolations, Is.Empty);
        });
    }

    [Test]
    public async Task A_wrong_password_says_so_and_keeps_the_username()
    {
        var page = await NewPageAsync();
        await SignInAsync(page, "ada", "not the password");
        Assert.Multiple(async () =>
        {
            Assert.That(await page.GetByRole(AriaRole.Alert).TextContentAsync(), Is.EqualTo("Invalid username or password"));
            Assert.That(await page.GetByLabel("Username").InputValueAsync(), Is.EqualTo("ada"));
            Assert.That((await page.Context.CookiesAsync()).Any(c => c.Name == "tss_console"), Is.False);
        });
    }

    [Test]
    public async Task A_user_without_a_console_role_gets_a_403_page_that_says_what_to_ask_for()
    {
        var page = await NewPageAsync();
        var response = await SignInAsync(page, "nora", Password);
        Assert.Multiple(async () =>
        {
            Assert.That(response!.Status, Is.EqualTo(403));
            Assert.That(await page.Locator("h1").TextContentAsync(), Is.EqualTo("No access to the Console"));
            Assert.That(await page.Locator("main").TextContentAsync(), Does.Contain("users grant-role nora console-viewer"));
            Assert.That((await page.Context.CookiesAsync()).Any(c => c.Name == "tss_console"), Is.False);
        });
        await AssertAccessibleAsync(page);
        await ScreenshotAsync(page, "no-role");
    }

    [Test]
    public async Task A_viewer_sees_applications_but_cannot_change_them()
    {
        var page = await OperatorAsync("vic");
        await page.GotoAsync("/console/applications");
        Assert.That(await page.GetByRole(AriaRole.Link, new() { Name = "Create application" }).CountAsync(), Is.Zero);
        // A crafted post with a valid antiforgery token still changes nothing: the role is checked on the server.
        var token = await page.Locator("form.signout input[type=hidden]").First.GetAttributeAsync("value");
        var name = await page.Locator("form.signout input[type=hidden]").First.GetAttributeAsync("name");
        var post = await page.APIRequest.PostAsync("/console/applications", new()
        {
            Form = page.APIRequest.CreateFormData().Append(name!, token!).Append("name", "from-a-viewer")
                .Append("formId", new string('a', 32)),
            MaxRedirects = 0,
        });
        Assert.That(post.Status, Is.EqualTo(403));
        Assert.That((await Host.Services.GetRequiredServiceOf<TokenService.Applications.Applications>().ListAsync(default))
            .Any(a => a.Name == "from-a-viewer"),
            Is.False);
    }

    [Test]
    public async Task A_post_without_the_antiforgery_token_changes_nothing()
    {
        var page = await OperatorAsync("ada");
        var post = await page.APIRequest.PostAsync("/console/applications", new()
        {
            Form = page.APIRequest.CreateFormData().Append("name", "forged").Append("formId", new string('b', 32)),
            MaxRedirects = 0,
        });
        Assert.That(post.Status, Is.EqualTo((int)HttpStatusCode.BadRequest));
        Assert.That((await Host.Services.GetRequiredServiceOf<TokenService.Applications.Applications>().ListAsync(default))
            .Any(a => a.Name == "forged"),
            Is.False);
    }

    [Test]
    public async Task Signing_out_ends_the_session()
    {
        var page = await NewPageAsync();
        await SignInAsync(page, "ada", Password);
        await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }));
        await page.GotoAsync("/console/applications");
        Assert.That(new Uri(page.Url).AbsolutePath, Is.EqualTo("/console/sign-in"));
    }

    /// <summary>
    /// The reviewer's reproduction: a copy of the cookie taken before sign-out, with a pre-sign-out antiforgery token,
    /// replayed afterwards, here and at a second instance on the same database. Sign-out ends that one session only:
    /// another session of the same user goes on, and the user's session version (sign out everywhere) is untouched.
    /// </summary>
    [Test]
    public async Task After_sign_out_a_copy_of_the_old_cookie_is_refused_here_and_by_another_instance()
    {
        using var visitor = new ConsoleHttp(BaseAddress);
        using var signedIn = await visitor.SignInAsync("ada", Password);
        Assert.That(signedIn.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        using var before = await visitor.GetAsync("/console/applications");
        Assert.That(before.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var token = ConsoleHttp.Antiforgery(await before.Content.ReadAsStringAsync());
        var stolen = new Dictionary<string, string>(visitor.Cookies);
        using var elsewhere = new ConsoleHttp(BaseAddress);
        using (var other = await elsewhere.SignInAsync("ada", Password))
        {
            Assert.That(other.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        }

        var versionBefore = await SessionVersionAsync("ada");
        await using var second = new TokenServiceHost(Host.ConnectionString,
            new Dictionary<string, string?> { ["KEY_ENCRYPTION_KEY"] = Host.KeyEncryptionKey });
        var secondAddress = second.StartOnLoopback();
        using (var honoured = new ConsoleHttp(secondAddress, stolen))
        using (var live = await honoured.GetAsync("/console/applications"))
        {
            Assert.That(live.StatusCode, Is.EqualTo(HttpStatusCode.OK), "before sign-out the other instance honours the cookie");
        }

        using var signedOut = await visitor.PostAsync("/console/sign-out", [token]);
        Assert.That(signedOut.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(visitor.Cookies, Does.Not.ContainKey("tss_console"), "the browser's cookie is cleared");

        var name = "after-sign-out-" + Guid.NewGuid().ToString("N")[..6];
        foreach (var address in new[] { BaseAddress, secondAddress })
        {
            using var replay = new ConsoleHttp(address, stolen);
            using var page = await replay.GetAsync("/console/applications");
            Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), $"GET at {address}");
            Assert.That(page.Headers.Location!.OriginalString, Does.StartWith("/console/sign-in"));
            using var thief = new ConsoleHttp(address, stolen);
            using var post = await thief.PostAsync("/console/applications",
                [token, new("name", name), new("formId", Guid.NewGuid().ToString("N"))]);
            Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), $"POST at {address}");
        }

        using var stillSignedIn = await elsewhere.GetAsync("/console/applications");
        Assert.Multiple(async () =>
        {
            Assert.That((await Host.Services.GetRequiredServiceOf<TokenService.Applications.Applications>().ListAsync(default))
                .Any(a => a.Name == name), Is.False);
            Assert.That(await CountAsync("SELECT count(*) FROM audit_events WHERE details->>'name' = @name", name), Is.Zero);
            Assert.That(stillSignedIn.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the user's other session goes on");
            Assert.That(await SessionVersionAsync("ada"), Is.EqualTo(versionBefore), "not \"sign out everywhere\"");
        });
    }

    /// <summary>Hostile return URLs: each leaves /console (dot segments, encoded or not, backslashes, control characters,
    /// other hosts, look-alike prefixes), so sign-in lands on /console instead.</summary>
    [TestCase("/console/../oauth2/authorize")]
    [TestCase("/console/applications/../../oauth2/authorize")]
    [TestCase("/console/..")]
    [TestCase("/console/./applications")]
    [TestCase("/console/.")]
    [TestCase("/console/%2e%2e/oauth2/authorize")]
    [TestCase("/console/%2E%2E/oauth2/authorize")]
    [TestCase("/console/.%2e/oauth2/authorize")]
    [TestCase("/console/%2e./oauth2/authorize")]
    [TestCase("/console/%2e/applications")]
    [TestCase("/console/..\\oauth2/authorize")]
    [TestCase("/console\\..\\oauth2/authorize")]
    [TestCase("/console/\\evil.example")]
    [TestCase("/console/\t/../oauth2", TestName = "A_return_url_with_a_control_character_is_replaced(tab)")]
    [TestCase("/console/\n/x", TestName = "A_return_url_with_a_control_character_is_replaced(newline)")]
    [TestCase("/console/\r\nSet-Cookie: a=b", TestName = "A_return_url_with_a_control_character_is_replaced(crlf_header)")]
    [TestCase("/console/\u0001x", TestName = "A_return_url_with_a_control_character_is_replaced(soh)")]
    [TestCase("/console/\u001b[0mx", TestName = "A_return_url_with_a_control_character_is_replaced(escape)")]
    [TestCase("/console/\u007fx", TestName = "A_return_url_with_a_control_character_is_replaced(del)")]
    [TestCase("//evil.example/console/")]
    [TestCase("/console//evil.example")]
    [TestCase("https://evil.example/console/")]
    [TestCase("/consolex")]
    [TestCase("/console-evil")]
    [TestCase("/oauth2/authorize")]
    [TestCase("console/applications")]
    [TestCase("")]
    public async Task A_return_url_that_would_leave_the_console_is_replaced_by_the_console_home(string returnUrl)
    {
        using var visitor = new ConsoleHttp(BaseAddress);
        using var signedIn = await visitor.SignInAsync("ada", Password, returnUrl);
        Assert.That(signedIn.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        Assert.That(signedIn.Headers.Location!.OriginalString, Is.EqualTo("/console"));
    }

    [TestCase("/console")]
    [TestCase("/console/keys")]
    [TestCase("/console/applications/app.v2..beta")]
    [TestCase("/console/audit?target=a.b&action=application.")]
    public async Task A_return_url_inside_the_console_is_kept(string returnUrl)
    {
        using var visitor = new ConsoleHttp(BaseAddress);
        using var signedIn = await visitor.SignInAsync("ada", Password, returnUrl);
        Assert.That(signedIn.Headers.Location!.OriginalString, Is.EqualTo(returnUrl));
    }

    /// <summary>Not only the pages: a 404 or 405 from routing under /console carries the Console's headers too.</summary>
    [TestCase("GET", "/console/nosuch")]
    [TestCase("POST", "/console/nosuch/deeper")]
    [TestCase("GET", "/console/sign-out")]
    public async Task An_error_answer_under_the_console_carries_the_console_headers(string method, string path)
    {
        using var visitor = new ConsoleHttp(BaseAddress);
        using var response = method == "GET" ? await visitor.GetAsync(path) : await visitor.PostAsync(path, []);
        Assert.Multiple(() =>
        {
            Assert.That((int)response.StatusCode, Is.InRange(400, 499));
            Assert.That(response.Headers.GetValues("Content-Security-Policy").Single(),
                Does.Contain("default-src 'none'").And.Contain("frame-ancestors 'none'"));
            Assert.That(response.Headers.GetValues("X-Frame-Options").Single(), Is.EqualTo("DENY"));
            Assert.That(response.Headers.CacheControl?.NoStore, Is.True);
            Assert.That(response.Headers.GetValues("X-Content-Type-Options").Single(), Is.EqualTo("nosniff"));
        });
    }

    private async Task<int> SessionVersionAsync(string username) =>
        (await Host.Services.GetRequiredServiceOf<TokenService.Users.UserStore>().FindByUsernameAsync(username, default))!.SessionVersion;

    private async Task<long> CountAsync(string sql, string name)
    {
        await using var db = new NpgsqlConnection(Host.ConnectionString);
        await db.OpenAsync();
        await using var count = new NpgsqlCommand(sql, db);
        count.Parameters.AddWithValue("name", name);
        return (long)(await count.ExecuteScalarAsync())!;
    }
}

internal static class ServiceProviderExtensions
{
    public static T GetRequiredServiceOf<T>(this IServiceProvider services) where T : notnull =>
        Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<T>(services);
}
