using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using TestSupport;
using TokenService.Tests.Authorize;

namespace TokenService.Tests.UserInfo;

/// <summary>/userinfo refusals (RFC 6750 s.3.1), and the discovery entries of user sign-in.</summary>
public sealed class UserInfoTests : SignInFixture
{
    private async Task<HttpResponseMessage> UserInfoAsync(string? authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/userinfo");
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return await Client.SendAsync(request);
    }

    private async Task<string> UserAccessTokenAsync()
    {
        var (code, verifier) = await GetNativeCodeAsync("openid profile");
        using var response = await RedeemNativeAsync(code, verifier);
        return (await SignInDriver.JsonAsync(response)).GetProperty("access_token").GetString()!;
    }

    [Test]
    public async Task No_token_gets_a_bare_bearer_challenge()
    {
        using var response = await UserInfoAsync(null);
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(response.Headers.WwwAuthenticate.ToString(), Is.EqualTo("Bearer"));
        });
    }

    [TestCase("Bearer not-a-jwt")]
    [TestCase("Bearer eyJhbGciOiJub25lIiwidHlwIjoiYXQrand0In0.eyJzdWIiOiJ4In0.")]
    public async Task Invalid_token_gets_invalid_token(string authorization)
    {
        using var response = await UserInfoAsync(authorization);
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.StartWith("Bearer error=\"invalid_token\""));
        });
    }

    [Test]
    public async Task Id_token_is_not_accepted_as_an_access_token()
    {
        var (code, verifier) = await GetNativeCodeAsync("openid");
        using var exchange = await RedeemNativeAsync(code, verifier);
        var idToken = (await SignInDriver.JsonAsync(exchange)).GetProperty("id_token").GetString();
        using var response = await UserInfoAsync("Bearer " + idToken);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Client_credentials_token_without_openid_is_insufficient_scope()
    {
        var (clientId, secret) = await Host.CreateApplicationAsync(null, "metric:query");
        var token = await TokenServiceHost.GetTokenAsync(Client, clientId, secret);
        using var response = await UserInfoAsync("Bearer " + token);
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.Contain("insufficient_scope"));
        });
    }

    [Test]
    public async Task Expired_token_gets_invalid_token()
    {
        var token = await UserAccessTokenAsync();
        using (var fresh = await UserInfoAsync("Bearer " + token))
        {
            Assert.That(fresh.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        Clock.Advance(TimeSpan.FromSeconds(3700));
        using var expired = await UserInfoAsync("Bearer " + token);
        Assert.That(expired.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Discovery_lists_the_authorization_code_flow()
    {
        var json = JsonDocument.Parse(await Client.GetStringAsync("/.well-known/openid-configuration")).RootElement;
        static string[] Strings(JsonElement e) => e.EnumerateArray().Select(x => x.GetString()!).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(json.GetProperty("authorization_endpoint").GetString(), Is.EqualTo("http://localhost:5000/oauth2/authorize"));
            Assert.That(json.GetProperty("userinfo_endpoint").GetString(), Is.EqualTo("http://localhost:5000/userinfo"));
            Assert.That(Strings(json.GetProperty("response_types_supported")), Is.EqualTo(new[] { "code" }));
            Assert.That(Strings(json.GetProperty("code_challenge_methods_supported")), Is.EqualTo(new[] { "S256" }));
            Assert.That(Strings(json.GetProperty("grant_types_supported")),
                Is.EquivalentTo(new[]
                {
                    "client_credentials", "authorization_code", "refresh_token",
                    "urn:ietf:params:oauth:grant-type:token-exchange", // issue 17 point 3 (RFC 8693)
                }));
            Assert.That(Strings(json.GetProperty("token_endpoint_auth_methods_supported")), Does.Contain("none"));
            Assert.That(Strings(json.GetProperty("scopes_supported")), Is.SupersetOf(new[] { "openid", "profile", "email", "offline_access" }));
            Assert.That(Strings(json.GetProperty("claims_supported")), Is.SupersetOf(new[] { "auth_time", "nonce", "email", "preferred_username" }));
            Assert.That(Strings(json.GetProperty("prompt_values_supported")), Is.EquivalentTo(new[] { "none", "login" }));
            Assert.That(json.GetProperty("authorization_response_iss_parameter_supported").GetBoolean(), Is.True);
        });
    }

    [Test]
    public async Task Userinfo_answers_post_as_well_as_get()
    {
        var token = await UserAccessTokenAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/userinfo");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await Client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }
}
