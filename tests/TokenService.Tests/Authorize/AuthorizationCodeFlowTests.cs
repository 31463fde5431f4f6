using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Extensions.DependencyInjection;
using TestSupport;

namespace TokenService.Tests.Authorize;

/// <summary>The seed's flow over HTTP: authorize, log in, code, tokens, userinfo, refresh; and how sessions are reused.</summary>
public sealed class AuthorizationCodeFlowTests : SignInFixture
{
    /// <summary>
    /// Independent of the service: keys from the published JWKS over HTTP, a fresh handler, the expected audience and
    /// typ. Lifetime is checked against the fixture's clock, which other tests move forward.
    /// </summary>
    private async Task<TokenValidationResult> ValidateAsync(string token, string audience, string type)
    {
        var jwks = new JsonWebKeySet(await Client.GetStringAsync("/.well-known/jwks.json"));
        return await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = "http://localhost:5000",
            ValidAudience = audience,
            IssuerSigningKeys = jwks.GetSigningKeys(),
            ValidTypes = [type],
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            LifetimeValidator = (notBefore, expires, _, _) =>
                Clock.GetUtcNow().UtcDateTime is var now && expires > now && (notBefore is null || notBefore <= now),
        });
    }

    private static string AtHash(string accessToken) =>
        SignInSupport.Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(accessToken))[..16]);

    [Test]
    public async Task Public_client_signs_in_with_pkce_and_gets_verified_tokens_userinfo_and_a_rotating_refresh_token()
    {
        var (verifier, challenge) = SignInSupport.NewPkce();
        var request = NativeRequest(NativeClientId, challenge);
        using var browser = NewBrowser();

        using var form = await browser.AuthorizeAsync(request);
        var html = await form.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(form.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(html, Does.Contain("<input id=\"username\" name=\"username\""));
            Assert.That(html, Does.Contain("name=\"password\" type=\"password\""));
            Assert.That(html, Does.Contain("<button type=\"submit\">"));
        });

        using var redirect = await browser.SubmitLoginAsync(html, Username, Password);
        Assert.That(redirect.StatusCode, Is.EqualTo(HttpStatusCode.SeeOther), "RFC 9700 s.4.12: 303 after the login POST");
        var location = redirect.Headers.Location!;
        var query = SignInDriver.QueryOf(redirect);
        Assert.Multiple(() =>
        {
            Assert.That(location.GetLeftPart(UriPartial.Path), Is.EqualTo(NativeRedirect));
            Assert.That(query["state"], Is.EqualTo(request["state"]));
            Assert.That(query["iss"], Is.EqualTo("http://localhost:5000"));
            Assert.That(query["code"], Has.Length.EqualTo(43));
        });

        using var exchange = await RedeemNativeAsync(query["code"], verifier);
        var tokens = await SignInDriver.JsonAsync(exchange);
        Assert.That(exchange.StatusCode, Is.EqualTo(HttpStatusCode.OK), tokens.ToString());
        var accessToken = tokens.GetProperty("access_token").GetString()!;
        var idToken = tokens.GetProperty("id_token").GetString()!;
        var refreshToken = tokens.GetProperty("refresh_token").GetString()!;

        var access = await ValidateAsync(accessToken, "resource-api", "at+jwt");
        var id = await ValidateAsync(idToken, NativeClientId, "JWT");
        Assert.Multiple(() =>
        {
            Assert.That(exchange.Headers.CacheControl?.NoStore, Is.True);
            Assert.That(tokens.GetProperty("token_type").GetString(), Is.EqualTo("Bearer"));
            Assert.That(tokens.GetProperty("scope").GetString(), Is.EqualTo("openid profile offline_access"));
            Assert.That(access.IsValid, Is.True, access.Exception?.Message);
            Assert.That(access.Claims["sub"], Is.EqualTo(UserId.ToString()));
            Assert.That(access.Claims["client_id"], Is.EqualTo(NativeClientId));
            Assert.That(id.IsValid, Is.True, id.Exception?.Message);
            Assert.That(id.Claims["sub"], Is.EqualTo(UserId.ToString()));
            Assert.That(id.Claims["nonce"], Is.EqualTo(request["nonce"]));
            Assert.That(id.Claims["azp"], Is.EqualTo(NativeClientId));
            Assert.That(id.Claims["at_hash"], Is.EqualTo(AtHash(accessToken)));
            Assert.That(Convert.ToInt64(id.Claims["auth_time"], System.Globalization.CultureInfo.InvariantCulture),
                Is.EqualTo(Clock.GetUtcNow().ToUnixTimeSeconds()).Within(5));
            Assert.That(new JsonWebToken(idToken).Typ, Is.EqualTo("JWT"));
        });

        using var userInfoRequest = new HttpRequestMessage(HttpMethod.Get, "/userinfo");
        userInfoRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        using var userInfo = await Client.SendAsync(userInfoRequest);
        var claims = await SignInDriver.JsonAsync(userInfo);
        Assert.Multiple(() =>
        {
            Assert.That(userInfo.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(claims.GetProperty("sub").GetString(), Is.EqualTo(UserId.ToString()));
            Assert.That(claims.GetProperty("name").GetString(), Is.EqualTo("Alice Liddell"));
            Assert.That(claims.GetProperty("preferred_username").GetString(), Is.EqualTo(Username));
            Assert.That(claims.TryGetProperty("email", out _), Is.False, "no email scope, no email claim");
        });

        using var refreshed = await RefreshNativeAsync(refreshToken);
        var rotated = await SignInDriver.JsonAsync(refreshed);
        Assert.That(refreshed.StatusCode, Is.EqualTo(HttpStatusCode.OK), rotated.ToString());
        var successor = rotated.GetProperty("refresh_token").GetString()!;
        Assert.That(successor, Is.Not.EqualTo(refreshToken));

        // RFC 9700 s.4.14.2: the rotated token again means a copy exists: the whole family dies, successor included.
        using var reuse = await RefreshNativeAsync(refreshToken);
        await AssertOAuthErrorAsync(reuse, HttpStatusCode.BadRequest, "invalid_grant");
        using var afterReuse = await RefreshNativeAsync(successor);
        await AssertOAuthErrorAsync(afterReuse, HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Test]
    public async Task Confidential_client_without_pkce_gets_email_claims_and_no_refresh_token_without_offline_access()
    {
        using var browser = NewBrowser();
        using var redirect = await browser.SignInAsync(new Dictionary<string, string?>
        {
            ["response_type"] = "code", ["client_id"] = WebClientId, ["redirect_uri"] = WebRedirect, ["scope"] = "openid email",
        }, Username, Password);
        var code = SignInDriver.QueryOf(redirect)["code"];

        using var exchange = new HttpRequestMessage(HttpMethod.Post, "/oauth2/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = WebRedirect,
            }),
        };
        exchange.Headers.Authorization = TokenServiceHost.Basic(WebClientId, WebSecret);
        using var response = await Client.SendAsync(exchange);
        var tokens = await SignInDriver.JsonAsync(response);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), tokens.ToString());
        Assert.That(tokens.TryGetProperty("refresh_token", out _), Is.False);

        using var userInfo = new HttpRequestMessage(HttpMethod.Post, "/userinfo");
        userInfo.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens.GetProperty("access_token").GetString());
        var claims = await SignInDriver.JsonAsync(await Client.SendAsync(userInfo));
        Assert.Multiple(() =>
        {
            Assert.That(claims.GetProperty("email").GetString(), Is.EqualTo("alice@example.com"));
            Assert.That(claims.GetProperty("email_verified").GetBoolean(), Is.True);
            Assert.That(claims.TryGetProperty("name", out _), Is.False, "no profile scope, no profile claims");
        });
    }

    [Test] // issue 17 point 5
    public async Task Uppercase_scope_in_the_authorize_request_is_granted_in_lowercase()
    {
        var (code, verifier) = await GetNativeCodeAsync("openid METRIC_QUERY");
        using var response = await RedeemNativeAsync(code, verifier);
        var tokens = await SignInDriver.JsonAsync(response);
        Assert.That(tokens.GetProperty("scope").GetString(), Is.EqualTo("openid metric:query"), tokens.ToString());
    }

    [Test] // issue 17 point 4
    public async Task The_application_lifetime_applies_to_code_and_refresh_tokens()
    {
        var applications = App.Services.GetRequiredService<TokenService.Applications.Applications>();
        var changes = new TokenService.Applications.ApplicationChanges
        {
            AccessTokenLifetimeChanged = true, AccessTokenLifetimeSeconds = 900,
        };
        await applications.UpdateAsync(NativeClientId, changes, default);
        try
        {
            var (code, verifier) = await GetNativeCodeAsync();
            using var redeemed = await RedeemNativeAsync(code, verifier);
            var tokens = await SignInDriver.JsonAsync(redeemed);
            using var refreshed = await RefreshNativeAsync(tokens.GetProperty("refresh_token").GetString()!);
            var renewed = await SignInDriver.JsonAsync(refreshed);
            Assert.Multiple(() =>
            {
                Assert.That(tokens.GetProperty("expires_in").GetInt32(), Is.EqualTo(900), tokens.ToString());
                Assert.That(renewed.GetProperty("expires_in").GetInt32(), Is.EqualTo(900), renewed.ToString());
            });
        }
        finally
        {
            await applications.UpdateAsync(NativeClientId, changes with { AccessTokenLifetimeSeconds = null }, default);
        }
    }

    [Test]
    public async Task A_second_authorize_with_the_session_cookie_skips_the_form()
    {
        var (_, challenge) = SignInSupport.NewPkce();
        using var browser = NewBrowser();
        using var first = await browser.SignInAsync(NativeRequest(NativeClientId, challenge), Username, Password);
        using var second = await browser.AuthorizeAsync(NativeRequest(NativeClientId, challenge));
        Assert.Multiple(() =>
        {
            Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
            Assert.That(SignInDriver.QueryOf(second)["code"], Is.Not.EqualTo(SignInDriver.QueryOf(first)["code"]));
        });
    }

    [Test]
    public async Task Prompt_login_shows_the_form_even_with_a_session_and_prompt_none_uses_the_session()
    {
        var (_, challenge) = SignInSupport.NewPkce();
        using var browser = NewBrowser();
        using var _ = await browser.SignInAsync(NativeRequest(NativeClientId, challenge), Username, Password);
        using var login = await browser.AuthorizeAsync(NativeRequest(NativeClientId, challenge, ("prompt", "login")));
        using var none = await browser.AuthorizeAsync(NativeRequest(NativeClientId, challenge, ("prompt", "none")));
        Assert.Multiple(() =>
        {
            Assert.That(login.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(none.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
            Assert.That(SignInDriver.QueryOf(none), Does.ContainKey("code"));
        });

        // Signing in through the prompt=login form satisfies it: the answer is a code, not the form again.
        using var relogin = await browser.SubmitLoginAsync(await login.Content.ReadAsStringAsync(), Username, Password);
        Assert.That(relogin.StatusCode, Is.EqualTo(HttpStatusCode.SeeOther));
    }

    [Test]
    public async Task Max_age_shorter_than_the_session_age_asks_again_and_prompt_none_then_gets_login_required()
    {
        var (_, challenge) = SignInSupport.NewPkce();
        using var browser = NewBrowser();
        using var _ = await browser.SignInAsync(NativeRequest(NativeClientId, challenge), Username, Password);
        Clock.Advance(TimeSpan.FromSeconds(120));
        using var stale = await browser.AuthorizeAsync(NativeRequest(NativeClientId, challenge, ("max_age", "60")));
        using var fresh = await browser.AuthorizeAsync(NativeRequest(NativeClientId, challenge, ("max_age", "600")));
        using var none = await browser.AuthorizeAsync(NativeRequest(NativeClientId, challenge, ("max_age", "60"), ("prompt", "none")));
        Assert.Multiple(() =>
        {
            Assert.That(stale.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the login form again");
            Assert.That(fresh.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
            Assert.That(SignInDriver.QueryOf(none)["error"], Is.EqualTo("login_required"));
        });
    }

    [Test]
    public async Task Changing_the_password_ends_existing_sessions()
    {
        var (_, challenge) = SignInSupport.NewPkce();
        await Host.CreateUserAsync("bob", Password);
        using var browser = NewBrowser();
        using var _ = await browser.SignInAsync(NativeRequest(NativeClientId, challenge), "bob", Password);
        var (_, error) = await Host.Services.GetRequiredService<TokenService.Users.UserAccounts>().SetPasswordAsync("BOB", Password + "!", default);
        Assert.That(error, Is.Null);
        using var again = await browser.AuthorizeAsync(NativeRequest(NativeClientId, challenge));
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the login form, not a code");
    }
}
