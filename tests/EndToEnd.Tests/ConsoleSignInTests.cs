using System.Net;
using Microsoft.Playwright;

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
}

internal static class ServiceProviderExtensions
{
    public static T GetRequiredServiceOf<T>(this IServiceProvider services) where T : notnull =>
        Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<T>(services);
}
