using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Playwright;
using TestSupport;

namespace EndToEnd.Tests;

/// <summary>
/// A real browser signs in: headless Chromium (the Debian package, launched by path: nothing is downloaded at run
/// time) against the TokenService on real Kestrel on loopback. The client's redirect URI is a loopback port nobody
/// listens on, as for a native app (RFC 8252 s.7.3): the test reads the code from the navigation request itself.
/// </summary>
public sealed class BrowserSignInTests
{
    private const string ChromiumPath = "/usr/bin/chromium";
    private const string Password = "correct horse battery staple";

    [Test]
    public async Task A_user_signs_in_through_the_login_page_in_chromium_and_reaches_the_redirect_with_a_code()
    {
        if (!File.Exists(ChromiumPath))
        {
            Assert.Fail($"{ChromiumPath} is missing: install it with `apt-get update && apt-get install -y chromium chromium-driver` " +
                "(.ci/run does this). This test never lets Playwright download a browser.");
        }

        await using var host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("e2e"));
        var baseAddress = host.StartOnLoopback();
        using var http = await host.CreateReadyClientAsync();
        await host.CreateUserAsync("alice", Password, "alice@example.com", "Alice Liddell");
        var redirectUri = $"http://127.0.0.1:{Loopback.FreePort()}/callback";
        var (clientId, _) = await host.CreateClientAsync("public", [redirectUri], "openid", "profile", "offline_access");
        var (verifier, challenge) = SignInSupport.NewPkce();
        var authorize = QueryHelpers.AddQueryString(new Uri(baseAddress, "/oauth2/authorize").ToString(), new Dictionary<string, string?>
        {
            ["response_type"] = "code", ["client_id"] = clientId, ["redirect_uri"] = redirectUri, ["scope"] = "openid profile offline_access",
            ["state"] = "browser-state", ["nonce"] = "browser-nonce", ["code_challenge"] = challenge, ["code_challenge_method"] = "S256",
        });

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        });
        var page = await browser.NewPageAsync();
        var cspViolations = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                cspViolations.Add(message.Text);
            }
        };

        var form = await page.GotoAsync(authorize);
        Assert.That(form!.Status, Is.EqualTo(200));
        await page.Locator("input[name=username]").FillAsync("alice");
        await page.Locator("input[name=password]").FillAsync(Password);
        var screenshot = Path.Combine(RepositoryRoot(), "test-artifacts", "login-page.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });

        var callback = await page.RunAndWaitForRequestAsync(
            () => page.Locator("button[type=submit]").ClickAsync(),
            request => request.Url.StartsWith(redirectUri, StringComparison.Ordinal),
            new PageRunAndWaitForRequestOptions { Timeout = 15_000 });
        var query = QueryHelpers.ParseQuery(new Uri(callback.Url).Query);
        Assert.Multiple(() =>
        {
            Assert.That(query["state"].ToString(), Is.EqualTo("browser-state"));
            Assert.That(query["iss"].ToString(), Is.EqualTo("http://localhost:5000"));
            Assert.That(query["code"].ToString(), Has.Length.EqualTo(43));
            Assert.That(cspViolations, Is.Empty, "the page works under its own Content-Security-Policy");
            Assert.That(new FileInfo(screenshot).Length, Is.GreaterThan(1000));
        });

        // The code the browser carried is good for tokens.
        using var exchange = await http.PostAsync("/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code", ["code"] = query["code"].ToString(), ["redirect_uri"] = redirectUri,
            ["client_id"] = clientId, ["code_verifier"] = verifier,
        }));
        var body = await exchange.Content.ReadAsStringAsync();
        Assert.That(exchange.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        Assert.That(JsonDocument.Parse(body).RootElement.TryGetProperty("id_token", out _), Is.True);
    }

    /// <summary>From this source file's location, so it holds wherever ArtifactsPath puts the binaries.</summary>
    private static string RepositoryRoot([CallerFilePath] string source = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "..", ".."));
}
