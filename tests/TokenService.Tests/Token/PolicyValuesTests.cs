using System.Net;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using TestSupport;

namespace TokenService.Tests.Token;

/// <summary>
/// Issue 15 point 2: the token endpoint's policy_values (a JSON object of strings, size-limited, identifier names),
/// signed into the access token as one claim that also carries the tenant.
/// </summary>
public sealed class PolicyValuesTests
{
    private TokenServiceHost host = null!;
    private HttpClient client = null!;
    private (string Id, string Secret) application;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("policyvalues"));
        client = await host.CreateReadyClientAsync();
        application = await host.CreateApplicationAsync(null, "metric:query");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        client.Dispose();
        await host.DisposeAsync();
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> RequestAsync(string policyValues, string? tenant = null)
    {
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = application.Id, ["client_secret"] = application.Secret,
            ["policy_values"] = policyValues,
        };
        if (tenant is not null)
        {
            form["tenant"] = tenant;
        }

        using var response = await client.PostAsync("/oauth2/token", new FormUrlEncodedContent(form));
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static JsonElement ClaimOf(JsonElement body) =>
        JsonDocument.Parse(new JsonWebToken(body.GetProperty("access_token").GetString()).GetClaim("policy_values").Value).RootElement;

    [Test]
    public async Task Values_are_signed_into_one_claim_with_the_tenant()
    {
        var (status, body) = await RequestAsync("{\"customer\": \"c-42\", \"region\": \"eu\"}", tenant: "acme");
        var claim = ClaimOf(body);
        var token = new JsonWebToken(body.GetProperty("access_token").GetString());
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body.ToString());
            Assert.That(claim.GetProperty("customer").GetString(), Is.EqualTo("c-42"));
            Assert.That(claim.GetProperty("region").GetString(), Is.EqualTo("eu"));
            Assert.That(claim.GetProperty("tenant").GetString(), Is.EqualTo("acme"));
            Assert.That(token.GetClaim("tenant").Value, Is.EqualTo("acme"));
        });
    }

    [Test]
    public async Task Tenant_in_policy_values_is_the_tenant()
    {
        var (status, body) = await RequestAsync("{\"tenant\": \"globex\"}");
        var token = new JsonWebToken(body.GetProperty("access_token").GetString());
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(token.GetClaim("tenant").Value, Is.EqualTo("globex"));
        });
    }

    [TestCase("[\"a\"]", "policy_values must be a JSON object of string values")]
    [TestCase("not json", "policy_values must be a JSON object of string values")]
    [TestCase("{\"a\": 1}", "policy_values.a must be a string")]
    [TestCase("{\"a\": {\"b\": \"c\"}}", "policy_values.a must be a string")]
    [TestCase("{\"9a\": \"x\"}", "policy_values name '9a' is not an identifier")]
    [TestCase("{\"a-b\": \"x\"}", "policy_values name 'a-b' is not an identifier")]
    [TestCase("{\"a\": \"x\", \"a\": \"y\"}", "policy_values names 'a' twice")]
    [TestCase("{\"a\": \"x\\u0000\"}", "policy_values.a contains a control character")]
    public async Task Bad_policy_values_get_400_invalid_request_naming_the_problem(string policyValues, string message)
    {
        var (status, body) = await RequestAsync(policyValues);
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(body.GetProperty("error").GetString(), Is.EqualTo("invalid_request"));
            Assert.That(body.GetProperty("error_description").GetString(), Does.StartWith(message));
        });
    }

    [Test]
    public async Task Too_many_names_and_too_long_values_are_refused()
    {
        var many = JsonSerializer.Serialize(Enumerable.Range(0, 17).ToDictionary(i => "n" + i, _ => "v"));
        var (manyStatus, manyBody) = await RequestAsync(many);
        var (longStatus, longBody) = await RequestAsync(JsonSerializer.Serialize(new { a = new string('x', 257) }));
        Assert.Multiple(() =>
        {
            Assert.That(manyStatus, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(manyBody.GetProperty("error_description").GetString(), Is.EqualTo("policy_values may hold at most 16 names"));
            Assert.That(longStatus, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(longBody.GetProperty("error_description").GetString(), Is.EqualTo("policy_values.a is longer than 256 characters"));
        });
    }

    [Test]
    public async Task Tenant_and_a_different_policy_values_tenant_are_refused()
    {
        var (status, body) = await RequestAsync("{\"tenant\": \"globex\"}", tenant: "acme");
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(body.GetProperty("error_description").GetString(), Does.StartWith("policy_values.tenant and tenant differ"));
        });
    }
}
