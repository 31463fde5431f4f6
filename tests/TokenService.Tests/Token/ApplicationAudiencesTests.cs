using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using TestSupport;

namespace TokenService.Tests.Token;

/// <summary>
/// Issue 17 point 4: an application's <c>audiences</c>, the RFC 8707 resources it may request. Without it, every API
/// its scopes serve (AudienceTests); with it, the default narrows to those, a resource outside them is invalid_target,
/// a named scope only another API serves is invalid_scope, and taking an audience away revokes the tokens issued for it.
/// </summary>
public sealed class ApplicationAudiencesTests
{
    private TokenServiceHost host = null!;
    private HttpClient client = null!;
    private HttpClient admin = null!;
    private string resourceApi = null!;
    private string management = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("appaudiences"));
        client = await host.CreateReadyClientAsync();
        admin = await host.CreateManagementClientAsync(client);
        var options = host.Services.GetRequiredService<IOptions<TokenServiceOptions>>().Value;
        (resourceApi, management) = (options.Audience, options.ManagementAudienceOrIssuer);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        client.Dispose();
        admin.Dispose();
        await host.DisposeAsync();
    }

    [Test]
    public async Task Restricted_to_the_resource_api_the_default_narrows_and_the_management_api_is_invalid_target()
    {
        var (clientId, secret) = await CreateAsync([resourceApi]);
        var (status, body) = await TokenAsync(clientId, secret);
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body.ToString());
            Assert.That(AudiencesOf(body), Is.EqualTo(new[] { resourceApi }));
            Assert.That(body.GetProperty("scope").GetString(), Is.EqualTo("metric:query"), "application:admin serves only the other API");
        });

        var (targetStatus, target) = await TokenAsync(clientId, secret, ("resource", management));
        var (scopeStatus, scope) = await TokenAsync(clientId, secret, ("scope", "application:admin"));
        var (allowedStatus, allowed) = await TokenAsync(clientId, secret, ("resource", resourceApi));
        Assert.Multiple(() =>
        {
            Assert.That((targetStatus, target.GetProperty("error").GetString()), Is.EqualTo((HttpStatusCode.BadRequest, "invalid_target")));
            Assert.That(target.GetProperty("error_description").GetString(), Does.Contain("may not request resource"));
            Assert.That((scopeStatus, scope.GetProperty("error").GetString()), Is.EqualTo((HttpStatusCode.BadRequest, "invalid_target")),
                "the named scope serves only an API it may not request");
            Assert.That(scope.GetProperty("error_description").GetString(), Does.Contain("no resource it may request"));
            Assert.That(allowedStatus, Is.EqualTo(HttpStatusCode.OK), allowed.ToString());
        });
    }

    [Test]
    public async Task Taking_an_audience_away_revokes_the_tokens_issued_for_it_and_null_lifts_the_restriction()
    {
        var (clientId, secret) = await CreateAsync(null);
        var (_, before) = await TokenAsync(clientId, secret, ("resource", management));
        Assert.That(await ListWithAsync(before), Is.EqualTo(HttpStatusCode.OK), "a management token works before");

        using (var narrowed = await admin.PatchAsJsonAsync($"/applications/{clientId}", new { audiences = new[] { resourceApi } }))
        {
            var view = await narrowed.Content.ReadFromJsonAsync<JsonElement>();
            Assert.That(narrowed.StatusCode, Is.EqualTo(HttpStatusCode.OK), view.ToString());
            Assert.That(view.GetProperty("audiences").EnumerateArray().Select(a => a.GetString()), Is.EqualTo(new[] { resourceApi }));
        }

        Assert.That(await ListWithAsync(before), Is.EqualTo(HttpStatusCode.Unauthorized), "issued for an audience it may no longer have");

        var lift = new Dictionary<string, object?> { ["audiences"] = null };
        using (var lifted = await admin.PatchAsJsonAsync($"/applications/{clientId}", lift))
        {
            Assert.That(lifted.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        var (status, after) = await TokenAsync(clientId, secret, ("resource", management));
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), after.ToString());
    }

    [Test]
    public async Task Bad_audiences_are_400_naming_the_field()
    {
        foreach (var audiences in new object[] { new[] { "https://elsewhere.example" }, Array.Empty<string>(), new[] { "" } })
        {
            using var response = await admin.PostAsJsonAsync("/applications", Registration(audiences));
            var body = await response.Content.ReadAsStringAsync();
            Assert.Multiple(() =>
            {
                Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), body);
                Assert.That(JsonDocument.Parse(body).RootElement.GetProperty("errors").TryGetProperty("audiences", out _), Is.True, body);
            });
        }

        var (clientId, _) = await CreateAsync(null);
        using var patch = await admin.PatchAsync($"/applications/{clientId}",
            new StringContent("{\"audiences\": \"everything\"}", System.Text.Encoding.UTF8, "application/json"));
        var patchBody = await patch.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(patch.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), patchBody);
            Assert.That(patchBody, Does.Contain("audiences must be null"));
        });
    }

    private static Dictionary<string, object?> Registration(object? audiences) => new()
    {
        ["name"] = "audiences-" + Guid.NewGuid().ToString("N")[..8], ["scopes"] = new[] { "application:admin", "metric:query" },
        ["audiences"] = audiences,
    };

    private async Task<(string ClientId, string Secret)> CreateAsync(string[]? audiences)
    {
        using var response = await admin.PostAsJsonAsync("/applications", Registration(audiences));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), body.ToString());
        return (body.GetProperty("clientId").GetString()!, body.GetProperty("secret").GetString()!);
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> TokenAsync(string clientId, string secret,
        params (string Key, string Value)[] extra)
    {
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret,
        };
        foreach (var (key, value) in extra)
        {
            form[key] = value;
        }

        using var response = await client.PostAsync("/oauth2/token", new FormUrlEncodedContent(form));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static string[] AudiencesOf(JsonElement body) =>
        new JsonWebToken(body.GetProperty("access_token").GetString()).Audiences.ToArray();

    private async Task<HttpStatusCode> ListWithAsync(JsonElement tokenBody)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/applications");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokenBody.GetProperty("access_token").GetString());
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
