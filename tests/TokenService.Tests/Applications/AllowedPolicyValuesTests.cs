using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using TestSupport;

namespace TokenService.Tests.Applications;

/// <summary>
/// Issue 15 point 2: "Applications may restrict which names and values they may request (the existing allowed tenants
/// become the tenant case)". The management API's <c>allowedPolicyValues</c> and what the token endpoint makes of it.
/// </summary>
public sealed class AllowedPolicyValuesTests
{
    private TokenServiceHost host = null!;
    private HttpClient anonymous = null!;
    private HttpClient admin = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("allowedvalues"));
        anonymous = await host.CreateReadyClientAsync();
        admin = await host.CreateManagementClientAsync(anonymous);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        anonymous.Dispose();
        admin.Dispose();
        await host.DisposeAsync();
    }

    private async Task<(string Id, string Secret, JsonElement Body)> CreateAsync(string allowedPolicyValuesJson, string? extra = null)
    {
        var json = $"{{\"name\": \"app-{Guid.NewGuid():N}\", \"scopes\": [\"metric:query\"], " +
                   $"\"allowedPolicyValues\": {allowedPolicyValuesJson}{(extra is null ? "" : ", " + extra)}}}";
        using var response = await admin.PostAsync("/applications", new StringContent(json, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), body.ToString());
        return (body.GetProperty("clientId").GetString()!, body.GetProperty("secret").GetString()!, body);
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> TokenAsync(string id, string secret, string? policyValues,
        string? tenant = null)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials" };
        if (policyValues is not null)
        {
            form["policy_values"] = policyValues;
        }

        if (tenant is not null)
        {
            form["tenant"] = tenant;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth2/token") { Content = new FormUrlEncodedContent(form) };
        request.Headers.Authorization = TokenServiceHost.Basic(id, secret);
        using var response = await anonymous.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    [Test]
    public async Task Listed_values_are_issued_and_others_refused_with_invalid_request_naming_the_value()
    {
        var (id, secret, created) = await CreateAsync("{\"region\": [\"eu\", \"us\"], \"customer\": [\"*\"]}");
        var (okStatus, okBody) = await TokenAsync(id, secret, "{\"region\": \"eu\", \"customer\": \"c-42\"}");
        var (valueStatus, valueBody) = await TokenAsync(id, secret, "{\"region\": \"apac\"}");
        var (nameStatus, nameBody) = await TokenAsync(id, secret, "{\"plan\": \"gold\"}");
        var (noneStatus, _) = await TokenAsync(id, secret, null);
        Assert.Multiple(() =>
        {
            Assert.That(created.GetProperty("allowedPolicyValues").GetProperty("region").EnumerateArray().Select(v => v.GetString()),
                Is.EqualTo(new[] { "eu", "us" }));
            Assert.That(okStatus, Is.EqualTo(HttpStatusCode.OK), okBody.ToString());
            var claim = JsonDocument.Parse(new JsonWebToken(okBody.GetProperty("access_token").GetString())
                .GetClaim("policy_values").Value);
            Assert.That(claim.RootElement.GetProperty("customer").GetString(), Is.EqualTo("c-42"));
            Assert.That(valueStatus, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(valueBody.GetProperty("error").GetString(), Is.EqualTo("invalid_request"));
            Assert.That(valueBody.GetProperty("error_description").GetString(),
                Is.EqualTo("policy_values.region 'apac' is not allowed for this application"));
            Assert.That(nameStatus, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(nameBody.GetProperty("error_description").GetString(),
                Is.EqualTo("policy_values.plan is not allowed for this application"));
            Assert.That(noneStatus, Is.EqualTo(HttpStatusCode.OK),
                "a placeholder without a value matches no row, so asking for none is safe");
        });
    }

    [Test]
    public async Task An_empty_object_allows_no_values_and_the_tenant_stays_with_allowed_tenants()
    {
        var (id, secret, _) = await CreateAsync("{}", "\"allowedTenants\": [\"acme\"]");
        var (valueStatus, _) = await TokenAsync(id, secret, "{\"region\": \"eu\"}", tenant: "acme");
        var (tenantStatus, tenantBody) = await TokenAsync(id, secret, "{\"tenant\": \"acme\"}");
        var (otherTenant, _) = await TokenAsync(id, secret, "{\"tenant\": \"globex\"}");
        Assert.Multiple(() =>
        {
            Assert.That(valueStatus, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(tenantStatus, Is.EqualTo(HttpStatusCode.OK), tenantBody.ToString());
            Assert.That(otherTenant, Is.EqualTo(HttpStatusCode.BadRequest));
        });
    }

    [Test]
    public async Task Patch_replaces_the_list_and_null_lifts_it()
    {
        var (id, secret, _) = await CreateAsync("{\"region\": [\"eu\"]}");
        Assert.That((await TokenAsync(id, secret, "{\"region\": \"us\"}")).Status, Is.EqualTo(HttpStatusCode.BadRequest));

        using var widened = await PatchAsync(id, "{\"allowedPolicyValues\": {\"region\": [\"eu\", \"us\"]}}");
        Assert.That(widened.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await TokenAsync(id, secret, "{\"region\": \"us\"}")).Status, Is.EqualTo(HttpStatusCode.OK));

        using var renamed = await PatchAsync(id, "{\"name\": \"renamed-" + Guid.NewGuid().ToString("N")[..8] + "\"}");
        var kept = await renamed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(kept.GetProperty("allowedPolicyValues").GetProperty("region").GetArrayLength(), Is.EqualTo(2),
            "a PATCH without the member keeps the list");

        using var lifted = await PatchAsync(id, "{\"allowedPolicyValues\": null}");
        var body = await lifted.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Multiple(async () =>
        {
            Assert.That(body.GetProperty("allowedPolicyValues").ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That((await TokenAsync(id, secret, "{\"plan\": \"gold\"}")).Status, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [TestCase("[\"region\"]", "must be null (any values) or an object")]
    [TestCase("{\"region\": \"eu\"}", "allowedPolicyValues.region must be an array of strings")]
    [TestCase("{\"region\": [1]}", "allowedPolicyValues.region must be an array of strings")]
    [TestCase("{\"region\": []}", "allowedPolicyValues.region must hold 1 to 100 values")]
    [TestCase("{\"9x\": [\"a\"]}", "'9x' is not a placeholder name")]
    [TestCase("{\"region\\n\": [\"a\"]}", "is not a placeholder name")]
    [TestCase("{\"tenant\": [\"acme\"]}", "the tenant is limited by allowedTenants")]
    [TestCase("{\"region\": [\"a\\u0000\"]}", "contains a control character")]
    public async Task Bad_lists_are_400_naming_the_field(string allowed, string message)
    {
        var json = $"{{\"name\": \"app-{Guid.NewGuid():N}\", \"allowedPolicyValues\": {allowed}}}";
        using var response = await admin.PostAsync("/applications", new StringContent(json, Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), body.ToString());
            Assert.That(body.GetProperty("errors").GetProperty("allowedPolicyValues")[0].GetString(), Does.Contain(message));
        });
    }

    private Task<HttpResponseMessage> PatchAsync(string id, string json) =>
        admin.PatchAsync($"/applications/{id}", new StringContent(json, Encoding.UTF8, "application/json"));
}
