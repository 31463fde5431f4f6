using TestSupport;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using ResourceApi.Tests.Infrastructure;
using Shared.Protocol;

namespace ResourceApi.Tests;

/// <summary>Issue 14 point 2: the playground page (served from here, no CDN) and the SDL with each field's scopes.</summary>
public sealed class PlaygroundTests
{
    private const string ChromiumPath = "/usr/bin/chromium";

    private static ResourceApiHost PlaygroundHost() =>
        new(Fixture.ConnectionString, Fixture.Issuer, s => s.Configure<ResourceApiOptions>(o => o.Playground = true));

    private static async Task<HttpResponseMessage> GetAsync(HttpClient client, string path, string? accept, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (accept is not null)
        {
            request.Headers.Accept.ParseAdd(accept);
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        return await client.SendAsync(request);
    }

    [Test]
    public async Task Browser_navigation_to_graphql_gets_the_page_with_local_assets_and_a_strict_policy()
    {
        await using var api = PlaygroundHost();
        using var client = api.CreateClient();
        using var page = await GetAsync(client, "/graphql", "text/html,application/xhtml+xml,*/*;q=0.8");
        var html = await page.Content.ReadAsStringAsync();
        using var script = await GetAsync(client, "/graphql/playground.js", "*/*");
        using var api401 = await GetAsync(client, "/graphql", "application/json");
        Assert.Multiple(() =>
        {
            Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(page.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
            Assert.That(html, Does.Contain("src=\"/graphql/playground.js\"").And.Not.Contain("https://"));
            Assert.That(page.Headers.GetValues("Content-Security-Policy").Single(),
                Does.Contain("script-src 'self'").And.Contain("connect-src 'self'"));
            Assert.That(script.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(script.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/javascript"));
            Assert.That(api401.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "an API client still gets the API");
        });
    }

    [Test]
    public async Task Playground_is_off_outside_development_unless_configured()
    {
        using var page = await GetAsync(Fixture.ApiClient, "/graphql", "text/html");
        using var script = await GetAsync(Fixture.ApiClient, "/graphql/playground.js", "*/*");
        Assert.Multiple(() =>
        {
            Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "the API answers: no page");
            Assert.That(script.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        });
    }

    [Test]
    public async Task Schema_graphql_is_the_sdl_with_each_fields_required_scopes()
    {
        using var sdl = await GetAsync(Fixture.ApiClient, "/graphql/schema.graphql", null, await Fixture.TokenAsync(Scopes.MetricRead));
        var text = await sdl.Content.ReadAsStringAsync();
        using var anonymous = await GetAsync(Fixture.ApiClient, "/graphql/schema.graphql", null);
        using var userOnly = await GetAsync(Fixture.ApiClient, "/graphql/schema.graphql", null,
            TokenForge.Create(Fixture.TokenService, Fixture.Issuer, scope: "openid"));
        Assert.Multiple(() =>
        {
            Assert.That(sdl.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(text, Does.Contain("type Query {").And.Contain("type Mutation {"));
            Assert.That(text, Does.Contain("Requires scope: metric:query or admin."));
            Assert.That(text, Does.Contain("Requires scope: data_pool:query or admin."), "nested fields too (Metric.dataPool)");
            Assert.That(text, Does.Contain("Refused to tenant-scoped tokens"));
            Assert.That(anonymous.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(userOnly.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        });
    }

    [TestCase("bearer")]
    [TestCase("basic")]
    public async Task Chromium_loads_the_schema_and_runs_the_seed_query(string mode)
    {
        if (!File.Exists(ChromiumPath))
        {
            Assert.Fail($"{ChromiumPath} is missing: install it with `apt-get update && apt-get install -y chromium` " +
                "(.ci/run does this). This test never lets Playwright download a browser.");
        }

        await using var api = PlaygroundHost();
        var baseAddress = api.StartOnLoopback();
        var token = await Fixture.TokenAsync(Scopes.Admin);
        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        });
        var page = await browser.NewPageAsync();
        var problems = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type is "error" || message.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                problems.Add(message.Text);
            }
        };
        var outside = new List<string>();
        page.Request += (_, request) =>
        {
            if (!request.Url.StartsWith(baseAddress.ToString().TrimEnd('/'), StringComparison.Ordinal))
            {
                outside.Add(request.Url);
            }
        };

        var navigation = await page.GotoAsync(new Uri(baseAddress, "/graphql").ToString());
        Assert.That(navigation!.Status, Is.EqualTo(200));
        if (mode == "basic")
        {
            await page.Locator("input[name=mode][value=basic]").CheckAsync();
            await page.Locator("#client-id").FillAsync(Fixture.Application.ClientId);
            await page.Locator("#secret").FillAsync(Fixture.Application.Secret);
        }
        else
        {
            await page.Locator("#token").FillAsync(token);
        }

        await page.Locator("#load-schema").ClickAsync();
        await page.Locator("#types code[data-field=counter]").WaitForAsync(new LocatorWaitForOptions { Timeout = 15_000 });
        await page.Locator("#run").ClickAsync();
        await page.Locator("#status").Filter(new LocatorFilterOptions { HasTextRegex = new System.Text.RegularExpressions.Regex("^200 ") })
            .WaitForAsync(new LocatorWaitForOptions { Timeout = 15_000 });
        var result = await page.Locator("#result").TextContentAsync();
        var screenshot = Path.Combine(RepositoryRoot(), "test-artifacts", $"graphql-playground-{mode}.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });

        Assert.Multiple(() =>
        {
            Assert.That(result, Does.Contain("\"getAllDataSources\"").And.Contain("demo_postgres"));
            Assert.That(result, Does.Not.Contain("\"errors\""));
            Assert.That(problems, Is.Empty, "no console errors, nothing blocked by the page's own Content-Security-Policy");
            Assert.That(outside, Is.Empty, "every request stays on this API (no CDN)");
        });
    }

    private static string RepositoryRoot([CallerFilePath] string source = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "..", ".."));
}
