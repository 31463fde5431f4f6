using Microsoft.Playwright;
using Npgsql;

namespace EndToEnd.Tests;

/// <summary>
/// Issue 16 point 3 (Access Policies in the Console) and point 4 (their changes in the audit trail, with the operator)
/// in Chromium, checked against the ResourceApi's tables: the page changes exactly what the CLI and GraphQL would.
/// </summary>
public sealed class ConsolePoliciesTests : ConsoleBrowser
{
    private const string Pool = "orders";

    [Test]
    public async Task An_operator_creates_a_policy_assigns_it_turns_access_control_on_and_deletes_it_and_the_trail_names_them()
    {
        var (clientId, _) = await Host.CreateApplicationAsync("policy-app-" + Guid.NewGuid().ToString("N")[..6], "data_pool:query");
        var name = "tenant-rows-" + Guid.NewGuid().ToString("N")[..6];
        var page = await OperatorAsync("ada");
        await page.GotoAsync("/console/policies");
        var poolSection = page.GetByRole(AriaRole.Region, new() { Name = Pool });
        Assert.That(await poolSection.TextContentAsync(), Does.Contain("Access Control: off"));
        await AssertAccessibleAsync(page);
        await ScreenshotAsync(page, "policies");

        // A column the pool does not have: 400, the field named, everything typed still there.
        await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Link, new() { Name = "Create policy" }));
        await page.GetByLabel("Name").FillAsync(name);
        await page.GetByLabel("Description").FillAsync("each tenant sees its own orders");
        await page.GetByLabel("Data Pool").SelectOptionAsync(Pool);
        await page.GetByLabel("Columns").FillAsync("tenant, product, colour");
        await page.GetByLabel("Row rules").FillAsync("tenant EQUALS ${{ tenant }}");
        var refused = await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Create policy" }));
        Assert.Multiple(async () =>
        {
            Assert.That(refused.Status, Is.EqualTo(400));
            Assert.That(await page.Locator(".error-summary").TextContentAsync(), Does.Contain("unknown column 'colour'"));
            Assert.That(await page.GetByLabel("Columns").GetAttributeAsync("aria-invalid"), Is.EqualTo("true"));
            Assert.That(await page.GetByLabel("Name").InputValueAsync(), Is.EqualTo(name));
            Assert.That(await page.GetByLabel("Row rules").InputValueAsync(), Is.EqualTo("tenant EQUALS ${{ tenant }}"));
        });
        await AssertAccessibleAsync(page);
        await ScreenshotAsync(page, "policy-create-error");

        await page.GetByLabel("Columns").FillAsync("tenant, product, quantity");
        await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Create policy" }));
        Assert.That(await page.Locator("h1").TextContentAsync(), Is.EqualTo(name));
        await page.GetByLabel("Assign to application").SelectOptionAsync(clientId);
        await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = "Assign", Exact = true }));
        Assert.That(await page.Locator("[role=status]").TextContentAsync(), Does.Contain($"Assigned to {clientId}"));
        Assert.That(await AssignedAsync(name), Is.EqualTo(new[] { clientId }));
        // The unassign button is a link-styled button on a white card: it once inherited the buttons' white text.
        Assert.That(await page.GetByRole(AriaRole.Button, new() { Name = $"Unassign {clientId}" })
            .EvaluateAsync<string>("b => getComputedStyle(b).color"), Is.Not.EqualTo("rgb(255, 255, 255)"));
        await AssertAccessibleAsync(page);
        await ScreenshotAsync(page, "policy-detail");

        await page.GotoAsync("/console/policies");
        await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = $"Turn Access Control on for {Pool}" }));
        Assert.Multiple(async () =>
        {
            Assert.That(await page.GetByRole(AriaRole.Region, new() { Name = Pool }).TextContentAsync(),
                Does.Contain("Access Control: on"));
            Assert.That(await AccessControlAsync(), Is.True);
        });
        await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = $"Turn Access Control off for {Pool}" }));
        Assert.That(await AccessControlAsync(), Is.False);

        await page.GotoAsync($"/console/policies/{name}");
        await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = $"Unassign {clientId}" }));
        Assert.That(await AssignedAsync(name), Is.Empty);

        await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Link, new() { Name = $"Delete {name}…" }));
        await page.GetByLabel($"Type {name} to confirm").FillAsync(name + "x");
        var wrongName = await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = $"Delete {name}" }));
        Assert.That(wrongName.Status, Is.EqualTo(400));
        Assert.That(await AssignedAsync(name), Is.Not.Null, "a wrong confirmation deletes nothing");
        await page.GetByLabel($"Type {name} to confirm").FillAsync(name);
        await ClickAndLoadAsync(page, page.GetByRole(AriaRole.Button, new() { Name = $"Delete {name}" }));
        Assert.Multiple(async () =>
        {
            Assert.That(await page.Locator("[role=status]").TextContentAsync(), Does.Contain($"Deleted {name}"));
            Assert.That(await AssignedAsync(name), Is.Null);
            var adaId = (await UserIdAsync("ada")).ToString();
            Assert.That(await TrailAsync(name), Is.EqualTo(new[]
            {
                ("policy.create", "user", adaId), ("policy.assign", "user", adaId), ("policy.unassign", "user", adaId),
                ("policy.delete", "user", adaId),
            }));
            Assert.That(await TrailAsync(Pool), Is.SupersetOf(new[]
            {
                ("data_pool.access_control", "user", adaId),
            }));
        });
    }

    [Test]
    public async Task A_viewer_sees_policies_without_forms_and_cannot_post_and_a_missing_policy_is_a_404()
    {
        var page = await OperatorAsync("vic");
        var list = await page.GotoAsync("/console/policies");
        Assert.Multiple(async () =>
        {
            Assert.That(list!.Status, Is.EqualTo(200));
            Assert.That(await page.GetByRole(AriaRole.Link, new() { Name = "Create policy" }).CountAsync(), Is.Zero);
            Assert.That(await page.Locator("form[action='/console/policies/access-control']").CountAsync(), Is.Zero);
        });
        var missing = await page.GotoAsync("/console/policies/no-such-policy");
        Assert.That(missing!.Status, Is.EqualTo(404));
        await AssertAccessibleAsync(page);
    }

    private async Task<string[]?> AssignedAsync(string policy)
    {
        await using var db = new NpgsqlConnection(Host.ConnectionString);
        await db.OpenAsync();
        await using var query = new NpgsqlCommand("""
            SELECT ARRAY(SELECT a.client_id FROM resource.access_policy_applications a WHERE a.access_policy_id = p.id ORDER BY 1)
            FROM resource.access_policies p WHERE p.unique_name = @name
            """, db);
        query.Parameters.AddWithValue("name", policy);
        return await query.ExecuteScalarAsync() as string[];
    }

    private async Task<bool> AccessControlAsync()
    {
        await using var db = new NpgsqlConnection(Host.ConnectionString);
        await db.OpenAsync();
        await using var query = new NpgsqlCommand("SELECT access_control_enabled FROM resource.data_pools WHERE unique_name = @name", db);
        query.Parameters.AddWithValue("name", Pool);
        return (bool)(await query.ExecuteScalarAsync())!;
    }

    private async Task<List<(string Action, string Kind, string Actor)>> TrailAsync(string target)
    {
        await using var db = new NpgsqlConnection(Host.ConnectionString);
        await db.OpenAsync();
        await using var query = new NpgsqlCommand(
            "SELECT action, actor_kind, actor FROM audit_events WHERE target = @target ORDER BY id", db);
        query.Parameters.AddWithValue("target", target);
        var trail = new List<(string, string, string)>();
        await using var reader = await query.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            trail.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
        }

        return trail;
    }
}
