using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using TestSupport;

namespace TokenService.Tests.Token;

/// <summary>POST /oauth2/token with grant_type=client_credentials: the seed flow and every error of RFC 6749 s.5.2.</summary>
public sealed class ClientCredentialsTests
{
    private TokenServiceHost host = null!;
    private HttpClient client = null!;
    private string clientId = null!;
    private string secret = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("cc"));
        client = await host.CreateReadyClientAsync();
        (clientId, secret) = await host.CreateApplicationAsync(null, "metric:query", "metric:stats", "data_pool:query");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        client.Dispose();
        await host.DisposeAsync();
    }

    private Task<HttpResponseMessage> PostAsync(params (string Key, string Value)[] form) =>
        client.PostAsync("/oauth2/token", new FormUrlEncodedContent(form.Select(p => KeyValuePair.Create(p.Key, p.Value))));

    private static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    private static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string error)
    {
        var json = await JsonAsync(response);
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(status));
            Assert.That(json.GetProperty("error").GetString(), Is.EqualTo(error));
            Assert.That(json.GetProperty("error_description").GetString(), Is.Not.Empty);
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/json"));
            Assert.That(response.Headers.CacheControl?.NoStore, Is.True);
        });
    }

    [Test]
    public async Task Client_secret_post_returns_a_bearer_token_with_every_scope_when_scope_is_omitted()
    {
        using var response = await PostAsync(("grant_type", "client_credentials"), ("client_id", clientId), ("client_secret", secret));
        var json = await JsonAsync(response);
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(json.GetProperty("token_type").GetString(), Is.EqualTo("Bearer"));
            Assert.That(json.GetProperty("expires_in").GetInt32(), Is.EqualTo(3600));
            Assert.That(json.GetProperty("scope").GetString(), Is.EqualTo("metric:query metric:stats data_pool:query"));
            Assert.That(json.TryGetProperty("refresh_token", out _), Is.False, "RFC 6749 s.4.4.3: no refresh token");
            Assert.That(response.Headers.CacheControl?.NoStore, Is.True);
            Assert.That(response.Headers.Pragma.ToString(), Is.EqualTo("no-cache"));
        });
    }

    [Test]
    public async Task Client_secret_basic_is_accepted()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth2/token")
        {
            Content = new FormUrlEncodedContent([KeyValuePair.Create("grant_type", "client_credentials")]),
        };
        request.Headers.Authorization = TokenServiceHost.Basic(clientId, secret);
        using var response = await client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Requested_scope_subset_is_granted_exactly()
    {
        using var response = await PostAsync(("grant_type", "client_credentials"), ("client_id", clientId), ("client_secret", secret),
            ("scope", "metric:stats metric:query"));
        var json = await JsonAsync(response);
        var token = new JsonWebToken(json.GetProperty("access_token").GetString());
        Assert.Multiple(() =>
        {
            Assert.That(json.GetProperty("scope").GetString(), Is.EqualTo("metric:stats metric:query"));
            Assert.That(token.GetClaim("scope").Value, Is.EqualTo("metric:stats metric:query"));
        });
    }

    [TestCase("admin", TestName = "Scope_not_granted_to_the_application_is_invalid_scope")]
    [TestCase("metric:query nonsense", TestName = "Unknown_scope_is_invalid_scope")]
    [TestCase("openid", TestName = "User_scope_with_client_credentials_is_invalid_scope")]
    [TestCase("metric:query\"x", TestName = "Malformed_scope_is_invalid_scope")]
    public async Task Scope_outside_the_application_is_refused(string scope)
    {
        using var response = await PostAsync(("grant_type", "client_credentials"), ("client_id", clientId), ("client_secret", secret), ("scope", scope));
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_scope");
    }

    [Test]
    public async Task Tenant_is_carried_into_the_token()
    {
        using var response = await PostAsync(("grant_type", "client_credentials"), ("client_id", clientId), ("client_secret", secret), ("tenant", "acme-eu"));
        var token = new JsonWebToken((await JsonAsync(response)).GetProperty("access_token").GetString());
        Assert.That(token.GetClaim("tenant").Value, Is.EqualTo("acme-eu"));
    }

    [TestCase("")]
    [TestCase("has space")]
    [TestCase("semi;colon")]
    [TestCase("'; DROP TABLE applications; --")]
    public async Task Malformed_tenant_is_invalid_request(string tenant)
    {
        using var response = await PostAsync(("grant_type", "client_credentials"), ("client_id", clientId), ("client_secret", secret),
            ("tenant", tenant == "" ? new string('a', 200) : tenant));
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Test]
    public async Task Missing_grant_type_is_invalid_request()
    {
        using var response = await PostAsync(("client_id", clientId), ("client_secret", secret));
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [TestCase("grant_type")]
    [TestCase("client_id")]
    [TestCase("scope")]
    [TestCase("tenant")]
    public async Task Repeated_parameter_is_invalid_request(string name)
    {
        var form = new List<(string, string)> { ("grant_type", "client_credentials"), ("client_id", clientId), ("client_secret", secret), (name, "metric:query") };
        if (name is "scope" or "tenant")
        {
            form.Add((name, "metric:query"));
        }

        using var response = await PostAsync([.. form]);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [TestCase("password")]
    [TestCase("urn:ietf:params:oauth:grant-type:jwt-bearer")]
    [TestCase("CLIENT_CREDENTIALS")]
    public async Task Unknown_grant_type_is_unsupported_grant_type(string grantType)
    {
        using var response = await PostAsync(("grant_type", grantType), ("client_id", clientId), ("client_secret", secret));
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "unsupported_grant_type");
    }

    [Test]
    public async Task Wrong_secret_with_basic_is_401_with_a_basic_challenge()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth2/token")
        {
            Content = new FormUrlEncodedContent([KeyValuePair.Create("grant_type", "client_credentials")]),
        };
        request.Headers.Authorization = TokenServiceHost.Basic(clientId, secret + "x");
        using var response = await client.SendAsync(request);
        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_client");
        Assert.That(response.Headers.WwwAuthenticate.Single().Scheme, Is.EqualTo("Basic"));
    }

    [Test]
    public async Task Wrong_secret_with_post_is_401_without_a_challenge()
    {
        using var response = await PostAsync(("grant_type", "client_credentials"), ("client_id", clientId), ("client_secret", "tss_wrong"));
        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_client");
        Assert.That(response.Headers.WwwAuthenticate, Is.Empty);
    }

    [Test]
    public async Task Unknown_client_and_wrong_secret_get_identical_responses()
    {
        using var unknown = await PostAsync(("grant_type", "client_credentials"), ("client_id", "nosuchclient00000000000000"), ("client_secret", secret));
        using var wrong = await PostAsync(("grant_type", "client_credentials"), ("client_id", clientId), ("client_secret", secret + "x"));
        Assert.Multiple(async () =>
        {
            Assert.That(unknown.StatusCode, Is.EqualTo(wrong.StatusCode));
            Assert.That(await unknown.Content.ReadAsStringAsync(), Is.EqualTo(await wrong.Content.ReadAsStringAsync()));
            Assert.That(unknown.Headers.ToString(), Is.EqualTo(wrong.Headers.ToString()));
        });
    }

    [Test]
    public async Task No_client_authentication_is_invalid_client()
    {
        using var response = await PostAsync(("grant_type", "client_credentials"));
        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_client");
    }

    [Test]
    public async Task Basic_and_client_secret_together_is_invalid_request()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth2/token")
        {
            Content = new FormUrlEncodedContent([KeyValuePair.Create("grant_type", "client_credentials"), KeyValuePair.Create("client_secret", secret)]),
        };
        request.Headers.Authorization = TokenServiceHost.Basic(clientId, secret);
        using var response = await client.SendAsync(request);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [TestCase("Basic !!!notbase64")]
    [TestCase("Basic Zm9vYmFy")]
    [TestCase("Basic OnNlY3JldA==")]
    [TestCase("Bearer abc")]
    [TestCase("Basic c29tZWlkOg==")]
    public async Task Malformed_authorization_header_is_invalid_client(string header)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth2/token")
        {
            Content = new FormUrlEncodedContent([KeyValuePair.Create("grant_type", "client_credentials")]),
        };
        request.Headers.TryAddWithoutValidation("Authorization", header);
        using var response = await client.SendAsync(request);
        await AssertErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_client");
    }

    [Test]
    public async Task Basic_credentials_are_form_decoded_per_rfc6749_2_3_1()
    {
        // A client id and secret with characters that must be form-encoded before base64.
        var (id, plainSecret) = (clientId, secret);
        var encoded = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(
            $"{Uri.EscapeDataString(id)}:{Uri.EscapeDataString(plainSecret).Replace("-", "%2D", StringComparison.Ordinal)}"));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth2/token")
        {
            Content = new FormUrlEncodedContent([KeyValuePair.Create("grant_type", "client_credentials")]),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", encoded);
        using var response = await client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [TestCase("application/json", "{\"grant_type\":\"client_credentials\"}")]
    [TestCase("text/plain", "grant_type=client_credentials")]
    [TestCase("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nclient_credentials\r\n--x--\r\n")]
    public async Task Body_that_is_not_form_urlencoded_is_invalid_request(string contentType, string body)
    {
        using var content = new StringContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var response = await client.PostAsync("/oauth2/token", content);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Test]
    public async Task Broken_percent_encoding_is_a_400_not_a_500()
    {
        using var content = new StringContent("grant_type=client_credentials&client_id=%ZZ%&client_secret=%E0%A4%A");
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        using var response = await client.PostAsync("/oauth2/token", content);
        Assert.That((int)response.StatusCode, Is.InRange(400, 401));
    }

    [Test]
    public async Task Oversized_body_is_invalid_request()
    {
        using var content = new StringContent("grant_type=client_credentials&scope=" + new string('a', 200_000));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        using var response = await client.PostAsync("/oauth2/token", content);
        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Test]
    public async Task Get_on_the_token_endpoint_is_405()
    {
        using var response = await client.GetAsync("/oauth2/token?grant_type=client_credentials");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.MethodNotAllowed));
    }
}
