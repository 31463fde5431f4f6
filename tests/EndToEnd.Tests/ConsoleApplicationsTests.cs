using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Npgsql;
using TokenService.Applications;

namespace EndToEnd.Tests;

/// <summary>Issue 16 points 2, 6 and 7 in Chromium: the Applications pages, through the same code as the CLI and the API.</summary>
public sealed class ConsoleApplicationsTests : ConsoleBrowser
{
    private Applications Applications => Host.Services.GetRequiredService<Applications>();

    private static string UniqueName(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..6];

    [Test]
    public async Task Creating_an_application_shows_its_secret_once_with_ready_to_paste_curl_that_gets_a_token()
    {
        var page = await OperatorAsync("ada");
        await page.GotoAsync("/console/applications/new");
        await AssertAccessibleAsync(page);
        var name = UniqueName("billing");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await page.GetByLabel("Description", new() { Exact = true }).FillAsync("Nightly exports");
        await page.GetByLabel("metric:query").CheckAsync();
        await page.GetByLabel("metric:stats").CheckAsync();
        await ScreenshotAsync(page, "application-create");
        var response = await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Create application" }));

        Assert.That(response.Status, Is.EqualTo(200));
        Assert.That(response.Headers["cache-control"], Is.EqualTo("no-store"), "the secret page is never cached");
        var secret = await page.GetByLabel("Client secret").InputValueAsync();
        var clientId = (await page.Locator("#client-id").TextContentAsync())!;
        var curl = (await page.Locator("#curl-token").TextContentAsync())!;
        Assert.Multiple(async () =>
        {
            Assert.That(secret, Does.StartWith("tss_"));
            Assert.That(curl,
                Does.Contain($"client_id={clientId}").And.Contain($"client_secret={secret}")
                .And.Contain("scope=metric:query metric:stats"));
            Assert.That(await page.Locator("#curl-graphql").TextContentAsync(),
                Does.Contain("/graphql").And.Contain("Authorization: Bearer $TOKEN"));
            Assert.That(await page.GetByRole(AriaRole.Button, new() { Name = "Copy secret" }).IsVisibleAsync(), Is.True,
                "the script revealed the copy button");
            Assert.That(CspViolations, Is.Empty);
        });
        await AssertAccessibleAsync(page);
        await ScreenshotAsync(page, "application-created");

        // The secret works, and the change is in the audit trail under this operator.
        using var http = Host.CreateClient();
        Assert.That(await TestSupport.TokenServiceHost.GetTokenAsync(http, clientId, secret, "metric:query"), Does.StartWith("eyJ"));
        Assert.That(await AuditActorOfAsync(clientId, "application.create"), Is.EqualTo(("user", (await UserIdAsync("ada")).ToString())));

        // Shown once: the application's page never shows it again.
        await page.GotoAsync($"/console/applications/{clientId}");
        Assert.That(await page.ContentAsync(), Does.Not.Contain(secret));
    }

    [Test]
    public async Task The_list_searches_by_name_or_client_id_and_shows_scopes_as_chips()
    {
        var (clientId, _) = await Host.CreateApplicationAsync(UniqueName("searchable"), "data_pool:query", "data_pool:stats");
        await Host.CreateApplicationAsync(UniqueName("other"), "admin");
        var page = await OperatorAsync("ada");
        await page.GotoAsync("/console/applications?q=" + clientId);
        Assert.Multiple(async () =>
        {
            Assert.That(await page.Locator("tbody tr").CountAsync(), Is.EqualTo(1));
            Assert.That(await page.Locator("tbody tr .chip").AllTextContentsAsync(),
                Is.EqualTo(new[] { "data_pool:query", "data_pool:stats" }));
        });
        await page.GotoAsync("/console/applications?q=SEARCHABLE");
        Assert.That(await page.Locator("tbody tr").CountAsync(), Is.EqualTo(1), "the name matches case-insensitively");
        await page.GotoAsync("/console/applications?q=nothing-has-this-name");
        Assert.That(await page.Locator(".empty").TextContentAsync(), Does.Contain("No application matches"));
        await page.GotoAsync("/console/applications");
        await AssertAccessibleAsync(page);
        await ScreenshotAsync(page, "applications");
    }

    [Test]
    public async Task Bad_input_names_the_field_and_keeps_everything_typed()
    {
        var page = await OperatorAsync("ada");
        await page.GotoAsync("/console/applications/new");
        var name = UniqueName("typed");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await page.GetByLabel("Description", new() { Exact = true }).FillAsync("kept description");
        await page.GetByLabel("data_pool:query").CheckAsync();
        await page.GetByLabel("Allowed tenants").FillAsync("acme\nnot a tenant!");
        var response = await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Create application" }));
        Assert.Multiple(async () =>
        {
            Assert.That(response.Status, Is.EqualTo(400));
            Assert.That(await page.Locator("#allowedTenants").GetAttributeAsync("aria-invalid"), Is.EqualTo("true"));
            Assert.That(await page.Locator("#allowedTenants-error").TextContentAsync(), Does.Contain("not a tenant!"));
            Assert.That(await page.GetByLabel("Name", new() { Exact = true }).InputValueAsync(), Is.EqualTo(name));
            Assert.That(await page.GetByLabel("Description", new() { Exact = true }).InputValueAsync(), Is.EqualTo("kept description"));
            Assert.That(await page.GetByLabel("data_pool:query").IsCheckedAsync(), Is.True);
            Assert.That(await page.GetByLabel("Allowed tenants").InputValueAsync(), Is.EqualTo("acme\nnot a tenant!"));
        });
        await AssertAccessibleAsync(page);
        await ScreenshotAsync(page, "application-create-error");
        Assert.That((await Applications.ListAsync(default)).Any(a => a.Name == name), Is.False);
    }

    [Test]
    public async Task Policy_values_and_token_lifetime_are_set_on_create_kept_on_error_and_shown_on_edit()
    {
        var page = await OperatorAsync("ada");
        await page.GotoAsync("/console/applications/new");
        var name = UniqueName("tenanted");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await page.GetByLabel("Allowed policy values").FillAsync("region: eu, us\ncustomer: *");
        await page.GetByLabel("Access-token lifetime (seconds)").FillAsync("5");
        var refused = await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Create application" }));
        Assert.Multiple(async () =>
        {
            Assert.That(refused.Status, Is.EqualTo(400));
            Assert.That(await page.Locator("#accessTokenLifetimeSeconds-error").TextContentAsync(), Does.Contain("between 60 and"));
            Assert.That(await page.GetByLabel("Allowed policy values").InputValueAsync(), Is.EqualTo("region: eu, us\ncustomer: *"));
        });
        await AssertAccessibleAsync(page);

        await page.GetByLabel("Access-token lifetime (seconds)").FillAsync("600");
        var created = await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Create application" }));
        Assert.That(created.Status, Is.EqualTo(200));
        var app = (await Applications.ListAsync(default)).Single(a => a.Name == name);
        Assert.Multiple(() =>
        {
            Assert.That(app.AccessTokenLifetimeSeconds, Is.EqualTo(600));
            Assert.That(app.AllowedPolicyValues!.Value.GetProperty("region").EnumerateArray().Select(v => v.GetString()),
                Is.EqualTo(new[] { "eu", "us" }));
            Assert.That(app.AllowedPolicyValues!.Value.GetProperty("customer")[0].GetString(), Is.EqualTo("*"));
        });

        await page.GotoAsync($"/console/applications/{app.ClientId}");
        Assert.Multiple(async () =>
        {
            Assert.That((await page.GetByLabel("Allowed policy values").InputValueAsync()).Split('\n'),
                Is.EquivalentTo(new[] { "region: eu, us", "customer: *" }));
            Assert.That(await page.GetByLabel("Access-token lifetime (seconds)").InputValueAsync(), Is.EqualTo("600"));
        });
        await page.GetByLabel("Allowed policy values").FillAsync("region eu");
        var badLine = await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }));
        Assert.Multiple(async () =>
        {
            Assert.That(badLine.Status, Is.EqualTo(400));
            Assert.That(await page.Locator("#allowedPolicyValues-error").TextContentAsync(), Does.Contain("'region: eu, us'"));
        });
        await page.GetByLabel("Allowed policy values").FillAsync("");
        await page.GetByLabel("Access-token lifetime (seconds)").FillAsync("");
        await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }));
        var cleared = await Applications.GetAsync(app.ClientId, default);
        Assert.Multiple(() =>
        {
            Assert.That(cleared!.AllowedPolicyValues, Is.Null, "empty means any");
            Assert.That(cleared.AccessTokenLifetimeSeconds, Is.Null, "empty means the server's default");
        });
    }

    [Test]
    public async Task A_double_submit_creates_one_application()
    {
        var page = await OperatorAsync("ada");
        await page.GotoAsync("/console/applications/new");
        var name = UniqueName("double");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create application" }).DblClickAsync();
        await page.WaitForLoadStateAsync(LoadState.DOMContentLoaded);
        await page.Locator("h1").WaitForAsync();
        Assert.Multiple(async () =>
        {
            Assert.That((await Applications.ListAsync(default)).Count(a => a.Name == name), Is.EqualTo(1));
            Assert.That(await page.Locator("h1").TextContentAsync(), Is.AnyOf("Already created", "Application created"));
        });
    }

    [Test]
    public async Task A_form_opened_before_a_concurrent_delete_says_the_application_is_gone()
    {
        var name = UniqueName("stale");
        var (clientId, _) = await Host.CreateApplicationAsync(name, "metric:read");
        var page = await OperatorAsync("ada");
        await page.GotoAsync($"/console/applications/{clientId}");
        await page.GetByLabel("Description", new() { Exact = true }).FillAsync("an edit that comes too late");
        await Applications.DeleteAsync(clientId, default);
        var response = await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }));
        Assert.Multiple(async () =>
        {
            Assert.That(response.Status, Is.EqualTo(409));
            Assert.That(await page.GetByRole(AriaRole.Alert).TextContentAsync(),
                Does.Contain($"“{name}” was deleted after this form was opened"));
        });
    }

    [Test]
    public async Task Editing_rotating_with_a_grace_period_and_deleting_behind_a_confirmation_that_names_the_application()
    {
        var name = UniqueName("lifecycle");
        var (clientId, oldSecret) = await Host.CreateApplicationAsync(name, "metric:read");
        var page = await OperatorAsync("ada");
        await page.GotoAsync($"/console/applications/{clientId}");
        await page.GetByLabel("metric:stats").CheckAsync();
        await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Save changes" }));
        Assert.That((await Applications.GetAsync(clientId, default))!.Scopes, Is.EqualTo(new[] { "metric:read", "metric:stats" }));
        await AssertAccessibleAsync(page);
        await ScreenshotAsync(page, "application-detail");

        await page.GetByLabel("Grace period (seconds)").FillAsync("soon");
        var refused = await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Rotate secret" }));
        Assert.That(refused.Status, Is.EqualTo(400));
        Assert.That(await page.GetByLabel("Grace period (seconds)").InputValueAsync(), Is.EqualTo("soon"));
        await page.GetByLabel("Grace period (seconds)").FillAsync("300");
        await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Rotate secret" }));
        var newSecret = await page.GetByLabel("Client secret").InputValueAsync();
        using var http = Host.CreateClient();
        Assert.Multiple(async () =>
        {
            Assert.That(newSecret, Is.Not.EqualTo(oldSecret));
            Assert.That(await TestSupport.TokenServiceHost.GetTokenAsync(http, clientId, oldSecret), Does.StartWith("eyJ"),
                "the old one still works in its grace");
            Assert.That(await TestSupport.TokenServiceHost.GetTokenAsync(http, clientId, newSecret), Does.StartWith("eyJ"));
        });

        await page.GotoAsync($"/console/applications/{clientId}/delete");
        await AssertAccessibleAsync(page);
        await ScreenshotAsync(page, "application-delete");
        await page.GetByLabel($"Type {name} to confirm").FillAsync("not the name");
        var wrong = await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = $"Delete {name}" }));
        Assert.That(wrong.Status, Is.EqualTo(400));
        Assert.That(await Applications.GetAsync(clientId, default), Is.Not.Null);
        await page.GetByLabel($"Type {name} to confirm").FillAsync(name);
        await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = $"Delete {name}" }));
        Assert.Multiple(async () =>
        {
            Assert.That(await Applications.GetAsync(clientId, default), Is.Null);
            Assert.That(await page.GetByRole(AriaRole.Status).TextContentAsync(), Does.Contain($"Deleted {name}"));
        });
    }

    [Test]
    public async Task Every_action_works_without_javascript()
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString().TrimEnd('/'),
            JavaScriptEnabled = false
        });
        var page = await context.NewPageAsync();
        await SignInAsync(page, "ada", Password);
        await page.GotoAsync("/console/applications/new");
        var name = UniqueName("nojs");
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
        await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Create application" }));
        Assert.Multiple(async () =>
        {
            Assert.That(await page.GetByLabel("Client secret").InputValueAsync(), Does.StartWith("tss_"),
                "readable and selectable without script");
            Assert.That(await page.GetByRole(AriaRole.Button, new() { Name = "Copy secret" }).IsVisibleAsync(), Is.False,
                "no dead button without script");
        });
        await context.CloseAsync();
    }

    [Test]
    public async Task At_phone_width_nothing_scrolls_sideways_and_the_keyboard_reaches_everything_in_order()
    {
        await Host.CreateApplicationAsync(UniqueName("phone"), "metric:query", "metric:stats", "data_pool:query");
        var phone = await NewPageAsync(375, 800);
        await SignInAsync(phone, "ada", Password);
        await phone.GotoAsync("/console/applications");
        var overflow = await phone.EvaluateAsync<bool>("document.documentElement.scrollWidth > window.innerWidth");
        await ScreenshotAsync(phone, "applications-phone");
        Assert.That(overflow, Is.False);

        await phone.Keyboard.PressAsync("Tab");
        Assert.That(await phone.EvaluateAsync<string>("document.activeElement.textContent"), Is.EqualTo("Skip to content"));
        var visited = new List<string>();
        for (var i = 0; i < 30 && visited.LastOrDefault() != "Create application"; i++)
        {
            await phone.Keyboard.PressAsync("Tab");
            visited.Add(await phone.EvaluateAsync<string>("document.activeElement.textContent"));
        }

        Assert.That(visited, Does.Contain("Create application"), string.Join(" | ", visited));

        var focused = await phone.EvaluateAsync<string?>("document.activeElement.getAttribute('href')");
        Assert.That(focused, Is.EqualTo("/console/applications/new"));
        // What this checks is that Enter on the focused link reaches its URL. Polled, not awaited as an event: a wait for
        // the navigation (WaitForURLAsync, until "load", then until "DOMContentLoaded", then until the commit) ran out at
        // 30-60 s on fresh-clone CI runs and once in about fifteen runs here, with the link focused and no server error;
        // most likely the navigation was reported between the client's URL check and its subscription.
        await phone.Keyboard.PressAsync("Enter");
        await Assertions.Expect(phone).ToHaveURLAsync(new Regex("/console/applications/new$"), new() { Timeout = 30_000 });
        await phone.Context.CloseAsync();
    }

    private async Task<(string Kind, string Actor)> AuditActorOfAsync(string target, string action)
    {
        await using var db = new NpgsqlConnection(Host.ConnectionString);
        await db.OpenAsync();
        await using var query = new NpgsqlCommand("SELECT actor_kind, actor FROM audit_events WHERE target = @target AND action = @action",
            db);
        query.Parameters.AddWithValue("target", target);
        query.Parameters.AddWithValue("action", action);
        await using var reader = await query.ExecuteReaderAsync();
        Assert.That(await reader.ReadAsync(), Is.True, $"no {action} event for {target}");
        return (reader.GetString(0), reader.GetString(1));
    }
}
