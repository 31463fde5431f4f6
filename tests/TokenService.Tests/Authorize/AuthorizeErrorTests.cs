using System.Net;
using TestSupport;

namespace TokenService.Tests.Authorize;

/// <summary>
/// RFC 6749 s.4.1.2.1: a wrong client or redirect URI ends on our error page (never a redirect); every other error
/// goes back to the registered redirect URI with error, error_description, state and iss (RFC 9207).
/// </summary>
public sealed class AuthorizeErrorTests : SignInFixture
{
    private async Task<HttpResponseMessage> AuthorizeAsync(params (string Key, string? Value)[] extra)
    {
        using var browser = NewBrowser();
        return await browser.AuthorizeAsync(NativeRequest(NativeClientId, Challenge, extra));
    }

    [TestCase("client_id", "nosuchclient00000000000000", TestName = "Unknown_client_gets_an_error_page_and_no_redirect")]
    [TestCase("client_id", null, TestName = "Missing_client_id_gets_an_error_page_and_no_redirect")]
    [TestCase("redirect_uri", "https://evil.example/callback", TestName = "Unregistered_redirect_uri_gets_an_error_page_and_no_redirect")]
    [TestCase("redirect_uri", "http://127.0.0.1:8765/callback/", TestName = "Redirect_uri_is_compared_exactly_not_by_prefix")]
    [TestCase("redirect_uri", null, TestName = "Missing_redirect_uri_gets_an_error_page_and_no_redirect")]
    public async Task Wrong_client_or_redirect_uri_never_redirects(string parameter, string? value)
    {
        using var response = await AuthorizeAsync((parameter, value));
        var html = await response.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(response.Headers.Location, Is.Null);
            Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/html"));
            Assert.That(html, Does.Contain("Sign-in error"));
        });
    }

    [Test]
    public async Task Repeated_client_id_gets_an_error_page()
    {
        using var browser = NewBrowser();
        using var response = await browser.Browser.GetAsync(
            $"/oauth2/authorize?response_type=code&client_id={NativeClientId}&client_id={NativeClientId}&redirect_uri={Uri.EscapeDataString(NativeRedirect)}");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [TestCase("response_type", "token", "unsupported_response_type")]
    [TestCase("response_type", "code id_token", "unsupported_response_type")]
    [TestCase("response_type", null, "invalid_request")]
    [TestCase("code_challenge_method", "plain", "invalid_request")]
    [TestCase("code_challenge_method", null, "invalid_request")]
    [TestCase("code_challenge", null, "invalid_request")]
    [TestCase("code_challenge", "too-short", "invalid_request")]
    [TestCase("scope", "openid admin", "invalid_scope")]
    [TestCase("scope", "openid email", "invalid_scope")]
    [TestCase("scope", "openid nonsense", "invalid_scope")]
    [TestCase("prompt", "none login", "invalid_request")]
    [TestCase("prompt", "consent", "invalid_request")]
    [TestCase("max_age", "-1", "invalid_request")]
    [TestCase("max_age", "soon", "invalid_request")]
    [TestCase("prompt", "none", "login_required")]
    [TestCase("request", "eyJhbGciOiJub25lIn0.e30.", "request_not_supported")]
    [TestCase("request_uri", "https://client.example/request.jwt", "request_uri_not_supported")]
    public async Task Other_errors_redirect_with_error_state_and_iss(string parameter, string? value, string error)
    {
        using var response = await AuthorizeAsync((parameter, value), ("state", "xyz<&>"));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await response.Content.ReadAsStringAsync());
        var query = SignInDriver.QueryOf(response);
        Assert.Multiple(() =>
        {
            Assert.That(response.Headers.Location!.GetLeftPart(UriPartial.Path), Is.EqualTo(NativeRedirect));
            Assert.That(query["error"], Is.EqualTo(error));
            Assert.That(query["error_description"], Is.Not.Empty);
            Assert.That(query["state"], Is.EqualTo("xyz<&>"));
            Assert.That(query["iss"], Is.EqualTo("http://localhost:5000"));
            Assert.That(query, Does.Not.ContainKey("code"));
        });
    }

    [Test]
    public async Task Confidential_client_may_omit_pkce_but_a_public_one_may_not()
    {
        using var browser = NewBrowser();
        using var web = await browser.AuthorizeAsync(new Dictionary<string, string?>
        {
            ["response_type"] = "code", ["client_id"] = WebClientId, ["redirect_uri"] = WebRedirect,
        });
        using var native = await AuthorizeAsync(("code_challenge", null), ("code_challenge_method", null));
        Assert.Multiple(() =>
        {
            Assert.That(web.StatusCode, Is.EqualTo(HttpStatusCode.OK), "login form");
            Assert.That(SignInDriver.QueryOf(native)["error"], Is.EqualTo("invalid_request"));
        });
    }

    [Test]
    public async Task Client_credentials_application_without_redirect_uris_gets_the_error_page()
    {
        var (clientId, _) = await Host.CreateClientAsync("confidential", [], "metric:query");
        using var browser = NewBrowser();
        using var response = await browser.AuthorizeAsync(new Dictionary<string, string?>
        {
            ["response_type"] = "code", ["client_id"] = clientId, ["redirect_uri"] = WebRedirect,
        });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task Post_authorization_request_is_accepted_like_get()
    {
        using var browser = NewBrowser();
        using var response = await browser.Browser.PostAsync("/oauth2/authorize", new FormUrlEncodedContent(
            NativeRequest(NativeClientId, Challenge).Select(p => KeyValuePair.Create(p.Key, p.Value ?? ""))));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("name=\"username\""));
    }

    [Test]
    public async Task Garbage_input_is_never_a_500()
    {
        using var browser = NewBrowser();
        foreach (var url in new[]
        {
            "/oauth2/authorize?client_id=%ZZ&redirect_uri=%E0%A4%A",
            "/oauth2/authorize?client_id=" + new string('a', 5000),
            $"/oauth2/authorize?client_id={NativeClientId}&redirect_uri={Uri.EscapeDataString(NativeRedirect)}&scope=%00",
        })
        {
            using var response = await browser.Browser.GetAsync(url);
            Assert.That((int)response.StatusCode, Is.LessThan(500), url);
        }

        using var content = new StringContent("client_id=%ZZ%&x", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded");
        using var post = await browser.Browser.PostAsync("/oauth2/authorize", content);
        Assert.That((int)post.StatusCode, Is.LessThan(500));
    }
}
