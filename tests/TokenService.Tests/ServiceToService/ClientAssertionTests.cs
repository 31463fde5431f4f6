using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using TestSupport;

namespace TokenService.Tests.ServiceToService;

/// <summary>
/// Issue 17 point 1: private_key_jwt (RFC 7523 s.2.2 and s.3, OIDC Core s.9). An application registers public keys
/// instead of getting a secret; the token endpoint takes a JWT client assertion signed with one of them.
/// </summary>
public sealed class ClientAssertionTests
{
    private const string AssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
    private TokenServiceHost host = null!;
    private HttpClient client = null!;
    private HttpClient admin = null!;
    private string issuer = null!;
    private readonly RSA rsa = RSA.Create(2048);
    private readonly ECDsa ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private string clientId = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("assertions"));
        client = await host.CreateReadyClientAsync();
        issuer = host.Setting("Issuer").TrimEnd('/');
        admin = await host.CreateManagementClientAsync(client);
        var created = await CreateAsync(Jwks(RsaKey("rsa-1"), EcKey("ec-1")));
        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created), await created.Content.ReadAsStringAsync());
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        clientId = body.GetProperty("clientId").GetString()!;
        Assert.Multiple(() =>
        {
            Assert.That(body.TryGetProperty("secret", out _), Is.False, "private_key_jwt: no secret");
            Assert.That(body.GetProperty("tokenEndpointAuthMethod").GetString(), Is.EqualTo("private_key_jwt"));
        });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        client.Dispose();
        admin.Dispose();
        rsa.Dispose();
        ec.Dispose();
        await host.DisposeAsync();
    }

    private Task<HttpResponseMessage> CreateAsync(object jwks, string method = "private_key_jwt") =>
        admin.PostAsJsonAsync("/applications", new Dictionary<string, object?>
        {
            ["name"] = "pkjwt-" + Guid.NewGuid().ToString("N")[..8], ["scopes"] = new[] { "metric:query" },
            ["tokenEndpointAuthMethod"] = method, ["jwks"] = jwks,
        });

    private Dictionary<string, object> RsaKey(string kid, RSA? key = null)
    {
        var p = (key ?? rsa).ExportParameters(false);
        return new()
        {
            ["kty"] = "RSA", ["kid"] = kid, ["use"] = "sig",
            ["n"] = Base64UrlEncoder.Encode(p.Modulus), ["e"] = Base64UrlEncoder.Encode(p.Exponent),
        };
    }

    private Dictionary<string, object> EcKey(string kid)
    {
        var p = ec.ExportParameters(false);
        return new()
        {
            ["kty"] = "EC", ["kid"] = kid, ["crv"] = "P-256",
            ["x"] = Base64UrlEncoder.Encode(p.Q.X), ["y"] = Base64UrlEncoder.Encode(p.Q.Y),
        };
    }

    private static object Jwks(params object[] keys) => new { keys };

    private string Assertion(string alg = SecurityAlgorithms.RsaSha256, string? iss = null, string? sub = null, string? aud = null,
        TimeSpan? lifetime = null, string? jti = null, SecurityKey? key = null, DateTime? notBefore = null)
    {
        var now = DateTime.UtcNow;
        SecurityKey signingKey = key ?? (alg == SecurityAlgorithms.EcdsaSha256
            ? new ECDsaSecurityKey(ec) { KeyId = "ec-1" }
            : new RsaSecurityKey(rsa) { KeyId = "rsa-1" });
        var claims = new Dictionary<string, object> { ["sub"] = sub ?? clientId, ["jti"] = jti ?? Guid.NewGuid().ToString("N") };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = iss ?? clientId, Audience = aud ?? issuer + "/oauth2/token", Claims = claims,
            IssuedAt = now, NotBefore = notBefore ?? now, Expires = now + (lifetime ?? TimeSpan.FromSeconds(60)),
            SigningCredentials = new SigningCredentials(signingKey, alg),
        });
    }

    private Task<HttpResponseMessage> TokenAsync(string? assertion, params (string Key, string Value)[] extra)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_assertion_type"] = AssertionType };
        if (assertion is not null)
        {
            form["client_assertion"] = assertion;
        }

        foreach (var (key, value) in extra)
        {
            form[key] = value;
        }

        return client.PostAsync("/oauth2/token", new FormUrlEncodedContent(form));
    }

    private static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string error)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(status), body);
            Assert.That(JsonDocument.Parse(body).RootElement.GetProperty("error").GetString(), Is.EqualTo(error));
        });
    }

    [TestCase(SecurityAlgorithms.RsaSha256)]
    [TestCase(SecurityAlgorithms.RsaSsaPssSha256)]
    [TestCase(SecurityAlgorithms.EcdsaSha256)]
    public async Task A_signed_assertion_gets_a_token_for_the_client(string alg)
    {
        using var response = await TokenAsync(Assertion(alg));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        var token = new JsonWebToken(body.GetProperty("access_token").GetString());
        Assert.Multiple(() =>
        {
            Assert.That(token.Subject, Is.EqualTo(clientId));
            Assert.That(token.GetClaim("scope").Value, Is.EqualTo("metric:query"));
        });
    }

    [Test]
    public async Task The_issuer_as_audience_and_a_matching_client_id_are_accepted()
    {
        using var response = await TokenAsync(Assertion(aud: issuer), ("client_id", clientId));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task A_replayed_assertion_is_invalid_client()
    {
        var assertion = Assertion();
        using var first = await TokenAsync(assertion);
        using var replay = await TokenAsync(assertion);
        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        await AssertErrorAsync(replay, HttpStatusCode.Unauthorized, "invalid_client");
    }

    [Test]
    public async Task A_replayed_jti_is_refused_by_another_instance_sharing_the_database()
    {
        var assertion = Assertion();
        using var other = new TokenServiceHost(host.ConnectionString, new Dictionary<string, string?>
        {
            ["KEY_ENCRYPTION_KEY"] = host.KeyEncryptionKey,
        });
        using var otherClient = await other.CreateReadyClientAsync();
        using var first = await TokenAsync(assertion);
        using var replay = await otherClient.PostAsync("/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_assertion_type"] = AssertionType, ["client_assertion"] = assertion,
        }));
        Assert.That(first.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        await AssertErrorAsync(replay, HttpStatusCode.Unauthorized, "invalid_client");
    }

    private static IEnumerable<TestCaseData> BadAssertions()
    {
        yield return new TestCaseData("wrong-iss").SetName("Assertion_with_iss_other_than_the_client_is_invalid_client");
        yield return new TestCaseData("wrong-sub").SetName("Assertion_with_sub_other_than_the_client_is_invalid_client");
        yield return new TestCaseData("wrong-aud").SetName("Assertion_for_another_audience_is_invalid_client");
        yield return new TestCaseData("expired").SetName("Expired_assertion_is_invalid_client");
        yield return new TestCaseData("long-lived").SetName("Assertion_living_longer_than_ten_minutes_is_invalid_client");
        yield return new TestCaseData("future-nbf").SetName("Assertion_not_yet_valid_is_invalid_client");
        yield return new TestCaseData("foreign-key").SetName("Assertion_signed_by_an_unregistered_key_is_invalid_client");
        yield return new TestCaseData("hs256").SetName("Assertion_signed_with_hs256_is_invalid_client");
        yield return new TestCaseData("garbage").SetName("Assertion_that_is_no_jwt_is_invalid_client");
        yield return new TestCaseData("unknown-client").SetName("Assertion_of_an_unknown_client_is_invalid_client");
    }

    [TestCaseSource(nameof(BadAssertions))]
    public async Task A_bad_assertion_is_invalid_client(string kind)
    {
        using var foreign = RSA.Create(2048);
        var assertion = kind switch
        {
            "wrong-iss" => Assertion(iss: "someone-else"),
            "wrong-sub" => Assertion(sub: "someone-else"),
            "wrong-aud" => Assertion(aud: "https://elsewhere.example/token"),
            "expired" => Assertion(lifetime: TimeSpan.FromMinutes(-2), notBefore: DateTime.UtcNow.AddMinutes(-5)),
            "long-lived" => Assertion(lifetime: TimeSpan.FromHours(1)),
            "future-nbf" => Assertion(notBefore: DateTime.UtcNow.AddMinutes(2), lifetime: TimeSpan.FromMinutes(3)),
            "foreign-key" => Assertion(key: new RsaSecurityKey(foreign) { KeyId = "rsa-1" }),
            "hs256" => Assertion(SecurityAlgorithms.HmacSha256, key: new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32))),
            "garbage" => "not.a.jwt",
            _ => Assertion(iss: "01UNKNOWNCLIENT0000000000", sub: "01UNKNOWNCLIENT0000000000"),
        };
        using var response = await TokenAsync(assertion);
        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_client");
        Assert.That(response.Headers.WwwAuthenticate, Is.Empty, "no Basic challenge: the client did not use Basic");
    }

    [Test]
    public async Task An_assertion_beside_a_secret_is_invalid_request()
    {
        using var response = await TokenAsync(Assertion(), ("client_secret", "tss_whatever"));
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Test]
    public async Task An_assertion_beside_http_basic_is_invalid_request()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth2/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials", ["client_assertion_type"] = AssertionType, ["client_assertion"] = Assertion(),
            }),
        };
        request.Headers.Authorization = TokenServiceHost.Basic(clientId, "tss_whatever");
        using var response = await client.SendAsync(request);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Test]
    public async Task A_client_assertion_type_without_an_assertion_or_of_another_kind_is_invalid_request()
    {
        using var missing = await TokenAsync(null);
        using var other = await client.PostAsync("/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_assertion_type"] = "urn:example:saml", ["client_assertion"] = Assertion(),
        }));
        await AssertErrorAsync(missing, HttpStatusCode.BadRequest, "invalid_request");
        await AssertErrorAsync(other, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Test]
    public async Task Wrong_assertions_count_against_the_failure_limiter()
    {
        var created = await CreateAsync(Jwks(RsaKey("rsa-1")));
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("clientId").GetString()!;
        using var foreign = RSA.Create(2048);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 25 && !statuses.Contains(HttpStatusCode.TooManyRequests); i++)
        {
            using var response = await TokenAsync(Assertion(iss: id, sub: id, key: new RsaSecurityKey(foreign) { KeyId = "rsa-1" }));
            statuses.Add(response.StatusCode);
        }

        Assert.That(statuses, Does.Contain(HttpStatusCode.TooManyRequests));
    }

    [Test]
    public async Task Rotating_the_keys_through_the_management_api_retires_the_old_key()
    {
        var created = await CreateAsync(Jwks(RsaKey("old")));
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("clientId").GetString()!;
        using var next = RSA.Create(2048);
        using var rotated = await admin.PatchAsJsonAsync($"/applications/{id}", new { jwks = Jwks(RsaKey("new", next)) });
        using var withOld = await TokenAsync(Assertion(iss: id, sub: id, key: new RsaSecurityKey(rsa) { KeyId = "old" }));
        using var withNew = await TokenAsync(Assertion(iss: id, sub: id, key: new RsaSecurityKey(next) { KeyId = "new" }));
        Assert.Multiple(async () =>
        {
            Assert.That(rotated.StatusCode, Is.EqualTo(HttpStatusCode.OK), await rotated.Content.ReadAsStringAsync());
            Assert.That(withOld.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(withNew.StatusCode, Is.EqualTo(HttpStatusCode.OK), await withNew.Content.ReadAsStringAsync());
        });
    }

    private static IEnumerable<TestCaseData> BadRegistrations()
    {
        using var small = RSA.Create(1024);
        using var full = RSA.Create(2048);
        var smallP = small.ExportParameters(false);
        var fullP = full.ExportParameters(true);
        yield return new TestCaseData(null, "jwks").SetName("Private_key_jwt_without_jwks_is_refused");
        yield return new TestCaseData(new { keys = Array.Empty<object>() }, "jwks").SetName("An_empty_jwk_set_is_refused");
        var smallKey = new { kty = "RSA", n = Base64UrlEncoder.Encode(smallP.Modulus), e = "AQAB" };
        yield return new TestCaseData(new { keys = new[] { smallKey } }, "jwks")
            .SetName("An_rsa_key_under_2048_bits_is_refused");
        yield return new TestCaseData(new
        {
            keys = new[]
            {
                new { kty = "RSA", n = Base64UrlEncoder.Encode(fullP.Modulus), e = "AQAB", d = Base64UrlEncoder.Encode(fullP.D) },
            },
        }, "jwks").SetName("A_private_key_in_the_jwk_set_is_refused");
        yield return new TestCaseData(new { keys = new[] { new { kty = "oct", k = "c2VjcmV0" } } }, "jwks")
            .SetName("A_symmetric_key_is_refused");
        yield return new TestCaseData("not a set", "jwks").SetName("A_jwks_that_is_no_object_is_refused");
    }

    [TestCaseSource(nameof(BadRegistrations))]
    public async Task A_bad_registration_is_a_400_naming_the_field(object? jwks, string field)
    {
        using var response = await CreateAsync(jwks!);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), body);
            Assert.That(body, Does.Contain($"\"{field}\""));
        });
    }

    [Test]
    public async Task A_secret_application_cannot_use_an_assertion_and_a_key_application_has_no_secret_to_rotate()
    {
        var (secretId, _) = await host.CreateApplicationAsync(null, "metric:query");
        using var withAssertion = await TokenAsync(Assertion(iss: secretId, sub: secretId));
        using var rotate = await admin.PostAsync($"/applications/{clientId}/rotate-secret", null);
        await AssertErrorAsync(withAssertion, HttpStatusCode.Unauthorized, "invalid_client");
        Assert.That(rotate.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task Discovery_lists_private_key_jwt_and_its_signing_algorithms()
    {
        var json = await client.GetFromJsonAsync<JsonElement>("/.well-known/openid-configuration");
        Assert.Multiple(() =>
        {
            Assert.That(json.GetProperty("token_endpoint_auth_methods_supported").EnumerateArray().Select(v => v.GetString()),
                Does.Contain("private_key_jwt"));
            Assert.That(json.GetProperty("token_endpoint_auth_signing_alg_values_supported").EnumerateArray().Select(v => v.GetString()),
                Is.EqualTo(new[] { "RS256", "PS256", "ES256" }));
        });
    }

    [Test]
    public async Task Cli_registers_and_rotates_the_keys_of_a_private_key_jwt_application()
    {
        var jwksFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(jwksFile, JsonSerializer.Serialize(Jwks(RsaKey("cli-1"))));
        var (createCode, created, createError) = await CliAsync("applications", "create", "--name", "cli-pkjwt", "--scopes", "metric:query",
            "--token-endpoint-auth-method", "private_key_jwt", "--jwks", jwksFile);
        Assert.That(createCode, Is.EqualTo(TokenService.Cli.OpsCli.Ok), createError);
        var json = JsonDocument.Parse(created).RootElement;
        var id = json.GetProperty("clientId").GetString()!;
        using var next = RSA.Create(2048);
        var nextJwks = JsonSerializer.Serialize(Jwks(RsaKey("cli-2", next)));
        var (rotateCode, _, _) = await CliAsync("applications", "update", id, "--jwks", nextJwks);
        using var withOld = await TokenAsync(Assertion(iss: id, sub: id, key: new RsaSecurityKey(rsa) { KeyId = "cli-1" }));
        using var withNew = await TokenAsync(Assertion(iss: id, sub: id, key: new RsaSecurityKey(next) { KeyId = "cli-2" }));
        var withNewBody = await withNew.Content.ReadAsStringAsync();
        File.Delete(jwksFile);
        Assert.Multiple(() =>
        {
            Assert.That(createCode, Is.EqualTo(TokenService.Cli.OpsCli.Ok), createError);
            Assert.That(json.TryGetProperty("secret", out _), Is.False);
            Assert.That(json.GetProperty("jwks").GetProperty("keys")[0].GetProperty("kid").GetString(), Is.EqualTo("cli-1"));
            Assert.That(rotateCode, Is.EqualTo(TokenService.Cli.OpsCli.Ok));
            Assert.That(withOld.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(withNew.StatusCode, Is.EqualTo(HttpStatusCode.OK), withNewBody);
        });
    }

    private async Task<(int Code, string Out, string Error)> CliAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await TokenService.Cli.OpsCli.RunAsync(args, stdout, stderr, new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = host.ConnectionString, ["KEY_ENCRYPTION_KEY"] = host.KeyEncryptionKey,
        });
        return (code, stdout.ToString(), stderr.ToString());
    }
}
