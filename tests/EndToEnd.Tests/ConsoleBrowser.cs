using System.Runtime.CompilerServices;
using Deque.AxeCore.Playwright;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Npgsql;
using TestSupport;

namespace EndToEnd.Tests;

/// <summary>
/// What the Console tests share, once per test class: the TokenService on real Kestrel on loopback, one headless
/// Chromium (the Debian package, by path; nothing downloaded), and operators with each role. Each role signs in
/// once through the real sign-in form; its page is reused by the tests.
/// </summary>
public abstract class ConsoleBrowser
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string Password = "operator password 1";

    private readonly Dictionary<string, IPage> pages = new(StringComparer.Ordinal);
    private IPlaywright playwright = null!;

    protected TokenServiceHost Host { get; private set; } = null!;

    protected Uri BaseAddress { get; private set; } = null!;

    protected IBrowser Browser { get; private set; } = null!;

    /// <summary>Content-Security-Policy reports from any page: the Console must work under its own policy.</summary>
    protected List<string> CspViolations { get; } = [];

    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>();

    [OneTimeSetUp]
    public async Task StartBrowserAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            Assert.Fail($"{ChromiumPath} is missing: install it with `apt-get update && apt-get install -y chromium` " +
                "(.ci/run does this). " +
                "These tests never let Playwright download a browser.");
        }

        Host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("console"), Settings);
        BaseAddress = Host.StartOnLoopback();
        using (var ready = await Host.CreateReadyClientAsync())
        {
        }

        await CreateOperatorAsync("ada", "console-admin");
        await CreateOperatorAsync("vic", "console-viewer");
        await CreateOperatorAsync("nora");
        playwright = await Playwright.CreateAsync();
        Browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        });
    }

    [OneTimeTearDown]
    public async Task StopBrowserAsync()
    {
        await Browser.DisposeAsync();
        playwright.Dispose();
        await Host.DisposeAsync();
    }

    /// <summary>A user with the given roles, inserted by SQL (the `users grant-role` CLI is another change's).</summary>
    protected async Task<Guid> CreateOperatorAsync(string username, params string[] roles)
    {
        var id = await Host.CreateUserAsync(username, Password);
        await using var db = new NpgsqlConnection(Host.ConnectionString);
        await db.OpenAsync();
        foreach (var role in roles)
        {
            await using var grant = new NpgsqlCommand("INSERT INTO user_roles (user_id, role) VALUES (@id, @role)", db);
            grant.Parameters.AddWithValue("id", id);
            grant.Parameters.AddWithValue("role", role);
            await grant.ExecuteNonQueryAsync();
        }

        return id;
    }

    protected async Task<Guid> UserIdAsync(string username) =>
        (await Host.Services.GetRequiredService<TokenService.Users.UserStore>().FindByUsernameAsync(username, default))!.Id;

    /// <summary>A fresh browser context (no cookies) with the given viewport.</summary>
    protected async Task<IPage> NewPageAsync(int width = 1280, int height = 900)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString().TrimEnd('/'),
            ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        var page = await context.NewPageAsync();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                CspViolations.Add(message.Text);
            }
        };
        return page;
    }

    /// <summary>The signed-in page of <paramref name="username"/>, signing in through the form the first time.</summary>
    protected async Task<IPage> OperatorAsync(string username)
    {
        if (pages.TryGetValue(username, out var page))
        {
            return page;
        }

        page = await NewPageAsync();
        await SignInAsync(page, username, Password);
        pages[username] = page;
        return page;
    }

    protected static async Task<IResponse?> SignInAsync(IPage page, string username, string password)
    {
        await page.GotoAsync("/console/sign-in");
        await page.GetByLabel("Username").FillAsync(username);
        await page.GetByLabel("Password").FillAsync(password);
        return await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }));
    }

    /// <summary>Clicks and returns the document the browser ends on (after any redirect), once it has loaded.</summary>
    protected static async Task<IResponse> ClickAndLoadAsync(IPage page, ILocator target)
    {
        var response = await page.RunAndWaitForResponseAsync(() => target.ClickAsync(),
            r => r.Request.IsNavigationRequest && r.Status is < 300 or >= 400);
        // The response comes before the browser commits the new document: wait until it has, then until it is parsed.
        // Asked of the document itself: waiting for the DOMContentLoaded lifecycle event once timed out on a loaded CI
        // machine although the page had loaded (the event raced the waiter).
        await page.WaitForURLAsync(response.Url, new() { WaitUntil = WaitUntilState.Commit });
        await page.WaitForFunctionAsync("() => document.readyState !== 'loading'");
        return response;
    }

    /// <summary>axe-core in the page: no serious or critical violation (WCAG 2.1 A and AA rules included).</summary>
    protected static async Task AssertAccessibleAsync(IPage page)
    {
        var results = await page.RunAxe();
        var bad = results.Violations.Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{v.Id} ({v.Impact}): {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target?.ToString()))}").ToList();
        Assert.That(bad, Is.Empty, $"axe on {page.Url}");
    }

    /// <summary>The page as a person sees it, into docs/console/ where docs/console.md shows it.</summary>
    protected static async Task ScreenshotAsync(IPage page, string name)
    {
        var path = Path.Combine(RepositoryRoot(), "docs", "console", name + ".png");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
    }

    protected static string RepositoryRoot([CallerFilePath] string source = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "..", ".."));
}
