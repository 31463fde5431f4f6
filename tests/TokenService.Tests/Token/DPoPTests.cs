using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using TestSupport;

namespace TokenService.Tests.Token;

/// <summary>
/// Issue 17 point 2, the token endpoint side of DPoP (RFC 9449 s.5): a valid proof binds the access token to its key
/// (cnf.jkt, token_type DPoP); a proof that is malformed, replayed or made for another request is invalid_dpop_proof.
/// </summary>
public sealed class DPoPTests
{
    private TokenServiceHost host = null!;
    private HttpClient client = null!;
    private string tokenEndpoint = null!;
    private (string Id, string Secret) app;
    private readonly DPoPKey key = DPoPKey.Ec();

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("dpop"));
        client = await host.CreateReadyClientAsync();
        tokenEndpoint = host.Setting("Issuer").TrimEnd('/') + "/oauth2/token";
        app = await host.CreateApplicationAsync(null, "metric:query");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        client.Dispose();
        key.Dispose();
        await host.DisposeAsync();
    }

    private async Task<HttpResponseMessage> TokenAsync(params string[] proofs)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth2/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials", ["client_id"] = app.Id, ["client_secret"] = app.Secret,
            }),
        };
        foreach (var proof in proofs)
        {
            // Without validation: hostile values (a trailing newline) must reach the service as they are.
            request.Headers.TryAddWithoutValidation("DPoP", proof);
        }

        return await client.SendAsync(request);
    }

    private static async Task AssertInvalidProofAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), body);
            Assert.That(JsonDocument.Parse(body).RootElement.GetProperty("error").GetString(), Is.EqualTo("invalid_dpop_proof"), body);
        });
    }

    [Test]
    public async Task A_valid_proof_binds_the_access_token_to_the_key()
    {
        using var response = await TokenAsync(key.Proof("POST", tokenEndpoint));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        var token = new JsonWebToken(body.GetProperty("access_token").GetString());
        Assert.Multiple(() =>
        {
            Assert.That(body.GetProperty("token_type").GetString(), Is.EqualTo("DPoP"));
            Assert.That(token.GetPayloadValue<JsonElement>("cnf").GetProperty("jkt").GetString(), Is.EqualTo(key.Thumbprint()));
            Assert.That(response.Headers.Contains("DPoP-Nonce"), Is.True, "RFC 9449 s.8.2: the next nonce comes with the answer");
        });
    }

    [Test]
    public async Task An_rsa_key_works_as_well_and_has_its_own_thumbprint()
    {
        using var rsa = DPoPKey.Rsa();
        using var response = await TokenAsync(rsa.Proof("POST", tokenEndpoint));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        var token = new JsonWebToken(body.GetProperty("access_token").GetString());
        Assert.That(token.GetPayloadValue<JsonElement>("cnf").GetProperty("jkt").GetString(), Is.EqualTo(rsa.Thumbprint()));
    }

    [Test]
    public async Task Without_a_proof_the_token_stays_a_bearer_token()
    {
        using var response = await TokenAsync();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var token = new JsonWebToken(body.GetProperty("access_token").GetString());
        Assert.Multiple(() =>
        {
            Assert.That(body.GetProperty("token_type").GetString(), Is.EqualTo("Bearer"));
            Assert.That(token.TryGetPayloadValue<JsonElement>("cnf", out _), Is.False);
        });
    }

    [Test]
    public async Task Introspection_reports_the_binding()
    {
        using var issued = await TokenAsync(key.Proof("POST", tokenEndpoint));
        var accessToken = (await issued.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!;
        using var response = await client.PostAsync("/oauth2/introspect", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = accessToken, ["client_id"] = app.Id, ["client_secret"] = app.Secret,
        }));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Multiple(() =>
        {
            Assert.That(body.GetProperty("active").GetBoolean(), Is.True, body.ToString());
            Assert.That(body.GetProperty("token_type").GetString(), Is.EqualTo("DPoP"));
            Assert.That(body.GetProperty("cnf").GetProperty("jkt").GetString(), Is.EqualTo(key.Thumbprint()));
        });
    }

    [Test]
    public async Task A_bound_token_is_refused_as_bearer_by_the_management_api()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "application:admin");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth2/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials", ["client_id"] = id, ["client_secret"] = secret,
            }),
        };
        request.Headers.Add("DPoP", key.Proof("POST", tokenEndpoint));
        using var issued = await client.SendAsync(request);
        var body = await issued.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(issued.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        using var list = new HttpRequestMessage(HttpMethod.Get, "/applications");
        list.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer",
            body.GetProperty("access_token").GetString());
        using var response = await client.SendAsync(list);

        // The control: the same application's unbound token is let in.
        using var control = new HttpRequestMessage(HttpMethod.Get, "/applications");
        control.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer",
            await TokenServiceHost.GetTokenAsync(client, id, secret));
        using var allowed = await client.SendAsync(control);
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "the management API takes no DPoP proofs yet");
            Assert.That(allowed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task Discovery_lists_the_dpop_signing_algorithms()
    {
        var body = await client.GetFromJsonAsync<JsonElement>("/.well-known/openid-configuration");
        var algs = body.GetProperty("dpop_signing_alg_values_supported").EnumerateArray().Select(a => a.GetString()).ToArray();
        Assert.That(algs, Is.EquivalentTo(new[] { "RS256", "PS256", "ES256" }));
    }

    [Test]
    public async Task A_replayed_proof_is_refused()
    {
        var proof = key.Proof("POST", tokenEndpoint);
        using var first = await TokenAsync(proof);
        using var replay = await TokenAsync(proof);
        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        await AssertInvalidProofAsync(replay);
    }

    [Test]
    public async Task The_same_jti_from_another_key_is_no_replay()
    {
        // Replay rows are per key: two clients may pick the same jti without refusing each other.
        using var other = DPoPKey.Ec();
        var jti = Guid.NewGuid().ToString("N");
        using var first = await TokenAsync(key.Proof("POST", tokenEndpoint, jti: jti));
        using var second = await TokenAsync(other.Proof("POST", tokenEndpoint, jti: jti));
        Assert.Multiple(() =>
        {
            Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        });
    }

    private static IEnumerable<TestCaseData> BadProofs()
    {
        yield return new TestCaseData("wrong-htm").SetName("Proof_for_another_method_is_invalid_dpop_proof");
        yield return new TestCaseData("wrong-htu").SetName("Proof_for_another_url_is_invalid_dpop_proof");
        yield return new TestCaseData("old-iat").SetName("Proof_made_two_minutes_ago_is_invalid_dpop_proof");
        yield return new TestCaseData("future-iat").SetName("Proof_made_two_minutes_ahead_is_invalid_dpop_proof");
        yield return new TestCaseData("other-signer").SetName("Proof_signed_by_another_key_than_its_jwk_is_invalid_dpop_proof");
        yield return new TestCaseData("alg-none").SetName("Unsigned_proof_is_invalid_dpop_proof");
        yield return new TestCaseData("hs256").SetName("Proof_with_a_symmetric_key_is_invalid_dpop_proof");
        yield return new TestCaseData("typ-jwt").SetName("Proof_with_typ_jwt_is_invalid_dpop_proof");
        yield return new TestCaseData("private-jwk").SetName("Proof_whose_jwk_holds_the_private_key_is_invalid_dpop_proof");
        yield return new TestCaseData("no-jti").SetName("Proof_without_jti_is_invalid_dpop_proof");
        yield return new TestCaseData("trailing-newline").SetName("Proof_with_a_trailing_newline_is_invalid_dpop_proof");
        yield return new TestCaseData("garbage").SetName("Proof_that_is_no_jwt_is_invalid_dpop_proof");
        yield return new TestCaseData("two-headers").SetName("Two_dpop_headers_are_invalid_dpop_proof");
    }

    [TestCaseSource(nameof(BadProofs))]
    public async Task A_bad_proof_is_invalid_dpop_proof(string kind)
    {
        using var other = DPoPKey.Ec();
        var now = DateTimeOffset.UtcNow;
        var proofs = kind switch
        {
            "wrong-htm" => [key.Proof("GET", tokenEndpoint)],
            "wrong-htu" => [key.Proof("POST", "https://elsewhere.example/oauth2/token")],
            "old-iat" => [key.Proof("POST", tokenEndpoint, issuedAt: now.AddMinutes(-2))],
            "future-iat" => [key.Proof("POST", tokenEndpoint, issuedAt: now.AddMinutes(2))],
            "other-signer" => [key.Proof("POST", tokenEndpoint, signWith: other)],
            "alg-none" => [key.UnsignedProof("POST", tokenEndpoint)],
            "hs256" => [DPoPKey.SymmetricProof("POST", tokenEndpoint)],
            "typ-jwt" => [key.Proof("POST", tokenEndpoint, typ: "JWT")],
            "private-jwk" => [key.Proof("POST", tokenEndpoint, jwk: new Dictionary<string, object>(key.PublicJwk()) { ["d"] = "AAAA" })],
            "no-jti" => [key.Proof("POST", tokenEndpoint, jti: "")],
            "trailing-newline" => [key.Proof("POST", tokenEndpoint) + "\n"],
            "garbage" => ["not.a.proof"],
            "two-headers" => new[] { key.Proof("POST", tokenEndpoint), key.Proof("POST", tokenEndpoint) },
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        using var response = await TokenAsync(proofs);
        await AssertInvalidProofAsync(response);
    }

    [Test]
    public async Task Query_and_fragment_of_htu_are_ignored_and_host_case_is_normalised()
    {
        var url = tokenEndpoint.Replace("localhost", "LOCALHOST", StringComparison.Ordinal) + "?x=1#f";
        using var response = await TokenAsync(key.Proof("POST", url));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }
}
