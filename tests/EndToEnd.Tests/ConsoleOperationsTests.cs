using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Npgsql;
using TestSupport;
using TokenService.Users;

namespace EndToEnd.Tests;

/// <summary>Issue 16 points 3 (keys, users), 4 (the trail in the Console) and 5 (token inspector) in Chromium.</summary>
public sealed class ConsoleOperationsTests : ConsoleBrowser
{
    [Test]
    public async Task Keys_are_listed_with_their_state_and_rotation_adds_a_key_that_signs_after_the_lead_time()
    {
        var page = await OperatorAsync("ada");
        await page.GotoAsync("/console/keys");
        var before = await page.Locator("tbody tr").CountAsync();
        Assert.That(await page.Locator("tbody tr .chip").First.TextContentAsync(), Is.EqualTo("active"));
        Assert.That(await page.Locator("tbody tr td[data-label='Algorithm']").First.TextContentAsync(), Is.EqualTo("RS256"));
        await page.GetByLabel("Lead time (seconds)").FillAsync("ten minutes");
        var refused = await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Add a signing key" }));
        Assert.That(refused.Status, Is.EqualTo(400));
        Assert.That(await page.GetByLabel("Lead time (seconds)").InputValueAsync(), Is.EqualTo("ten minutes"));

        await page.GetByLabel("Lead time (seconds)").FillAsync("3600");
        await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Add a signing key" }));
        Assert.Multiple(async () =>
        {
            Assert.That(await page.Locator("tbody tr").CountAsync(), Is.EqualTo(before + 1));
            Assert.That(await page.Locator("tbody tr .chip").First.TextContentAsync(), Is.EqualTo("pending"),
                "newest first: pending, not yet signing");
            Assert.That(await CountAuditAsync("key.rotate", "user"), Is.EqualTo(1));
        });
        await AssertAccessibleAsync(page);
        await ScreenshotAsync(page, "keys");
    }

    [Test]
    public async Task Users_are_created_given_roles_and_tenants_reset_and_deleted_and_bad_input_keeps_what_was_typed()
    {
        var page = await OperatorAsync("ada");
        var username = "grace-" + Guid.NewGuid().ToString("N")[..6];
        await page.GotoAsync("/console/users/new");
        await page.GetByLabel("Username").FillAsync(username);
        await page.GetByLabel("Email", new() { Exact = true }).FillAsync("grace@example.com");
        await page.GetByLabel("Password").FillAsync("short");
        var refused = await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Create user" }));
        Assert.Multiple(async () =>
        {
            Assert.That(refused.Status, Is.EqualTo(400));
            Assert.That(await page.Locator("#password-error").TextContentAsync(), Does.Contain("password must be"));
            Assert.That(await page.GetByLabel("Username").InputValueAsync(), Is.EqualTo(username));
            Assert.That(await page.GetByLabel("Email", new() { Exact = true }).InputValueAsync(), Is.EqualTo("grace@example.com"));
        });
        await page.GetByLabel("Password").FillAsync("a long enough password");
        await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Create user" }));
        Assert.That(new Uri(page.Url).AbsolutePath, Is.EqualTo($"/console/users/{username}"));
        Assert.That(await page.ContentAsync(), Does.Contain("User created."));

        await page.GetByLabel("Grant a role").FillAsync("console-viewer");
        await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Grant role" }));
        await page.GetByLabel("Add a tenant").FillAsync("not a tenant!");
        var badTenant = await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Add tenant" }));
        Assert.That(badTenant.Status, Is.EqualTo(400));
        Assert.That(await page.GetByLabel("Add a tenant").InputValueAsync(), Is.EqualTo("not a tenant!"));
        await page.GetByLabel("Add a tenant").FillAsync("acme");
        await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Add tenant" }));
        Assert.That(await page.Locator("main ul .chip").AllTextContentsAsync(), Is.EqualTo(new[] { "console-viewer", "acme" }));
        await AssertAccessibleAsync(page);
        await ScreenshotAsync(page, "user-detail");

        // The new viewer can sign in to the Console; then a password reset ends that session.
        var viewer = await NewPageAsync();
        await SignInAsync(viewer, username, "a long enough password");
        Assert.That(new Uri(viewer.Url).AbsolutePath, Is.EqualTo("/console/applications"));
        await page.GetByLabel("New password").FillAsync("another long password");
        await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Set password" }));
        await viewer.GotoAsync("/console/applications");
        Assert.That(new Uri(viewer.Url).AbsolutePath, Is.EqualTo("/console/sign-in"));
        await viewer.Context.CloseAsync();

        await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Revoke console-viewer" }));
        Assert.That(await page.Locator("main ul .chip").AllTextContentsAsync(), Is.EqualTo(new[] { "acme" }));
        await page.GotoAsync($"/console/users/{username}/delete");
        await page.GetByLabel($"Type {username} to confirm").FillAsync(username);
        await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = $"Delete {username}" }));
        Assert.That(await Host.Services.GetRequiredService<UserStore>().FindByUsernameAsync(username, default), Is.Null);
        await page.GotoAsync("/console/users");
        await AssertAccessibleAsync(page);
        await ScreenshotAsync(page, "users");

        var actions = await ActionsForAsync(username);
        Assert.That(actions, Is.EqualTo(new[]
        {
            "user.create", "user.grant_role", "user.add_tenant", "user.set_password", "user.revoke_role", "user.delete",
        }));
    }

    [Test]
    public async Task The_inspector_decodes_a_token_verifies_it_against_our_keys_and_sees_its_revocation_and_viewers_may_use_it()
    {
        var (clientId, secret) = await Host.CreateApplicationAsync(null, "metric:query");
        using var http = Host.CreateClient();
        var token = await TokenServiceHost.GetTokenAsync(http, clientId, secret);
        var page = await OperatorAsync("vic");
        await page.GotoAsync("/console/inspector");
        await page.GetByLabel("JWT").FillAsync(token);
        await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Inspect" }));
        var main = (await page.Locator("main").TextContentAsync())!;
        Assert.Multiple(() =>
        {
            Assert.That(main, Does.Contain("verifies with key"));
            Assert.That(main, Does.Contain($"\"client_id\": \"{clientId}\""));
            Assert.That(main, Does.Contain("\"typ\": \"at+jwt\""));
            Assert.That(main, Does.Contain("valid until"));
        });
        await AssertAccessibleAsync(page);
        await ScreenshotAsync(page, "inspector");

        await Host.Services.GetRequiredService<TokenService.Applications.Applications>().DeleteAsync(clientId, default);
        await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Inspect" }));
        Assert.That(await page.Locator("main").TextContentAsync(), Does.Contain("Revokedyes"));

        var forged = token[..token.LastIndexOf('.')] + ".c2lnbmF0dXJl";
        await page.GetByLabel("JWT").FillAsync(forged);
        await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Inspect" }));
        Assert.That(await page.Locator("main").TextContentAsync(), Does.Contain("does not verify"));

        await page.GetByLabel("JWT").FillAsync("not-a-jwt");
        var bad = await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Inspect" }));
        Assert.That(bad.Status, Is.EqualTo(400));
        Assert.That(await page.GetByLabel("JWT").InputValueAsync(), Is.EqualTo("not-a-jwt"));
    }

    [Test]
    public async Task The_audit_page_filters_by_target_and_names_a_bad_filter()
    {
        var (clientId, _) = await Host.CreateApplicationAsync(null, "metric:read");
        var page = await OperatorAsync("vic");
        await page.GotoAsync("/console/audit?target=" + clientId);
        Assert.Multiple(async () =>
        {
            Assert.That(await page.Locator("tbody tr").CountAsync(), Is.EqualTo(1));
            Assert.That(await page.Locator("tbody tr .chip").TextContentAsync(), Is.EqualTo("application.create"));
        });
        await page.GotoAsync("/console/audit");
        await AssertAccessibleAsync(page);
        await ScreenshotAsync(page, "audit");

        var bad = await page.GotoAsync("/console/audit?since=last+tuesday");
        Assert.Multiple(async () =>
        {
            Assert.That(bad!.Status, Is.EqualTo(400));
            Assert.That(await page.Locator("#since").GetAttributeAsync("aria-invalid"), Is.EqualTo("true"));
            Assert.That(await page.GetByLabel("Since (UTC, ISO 8601)").InputValueAsync(), Is.EqualTo("last tuesday"));
        });
    }

    private async Task<long> CountAuditAsync(string action, string actorKind)
    {
        await using var db = new NpgsqlConnection(Host.ConnectionString);
        await db.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM audit_events WHERE action = @action AND actor_kind = @kind", db);
        count.Parameters.AddWithValue("action", action);
        count.Parameters.AddWithValue("kind", actorKind);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    private async Task<string[]> ActionsForAsync(string target)
    {
        await using var db = new NpgsqlConnection(Host.ConnectionString);
        await db.OpenAsync();
        await using var query = new NpgsqlCommand("SELECT action FROM audit_events WHERE target = @target AND actor_kind = 'user' ORDER " +
            "BY id", db);
        query.Parameters.AddWithValue("target", target);
        var actions = new List<string>();
        await using var reader = await query.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            actions.Add(reader.GetString(0));
        }

        return [.. actions];
    }
}
