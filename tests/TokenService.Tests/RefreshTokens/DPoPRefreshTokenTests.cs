using System.Net;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using TestSupport;
using TokenService.Tests.Authorize;

namespace TokenService.Tests.RefreshTokens;

/// <summary>
/// RFC 9449 s.5: a public client's refresh token obtained with DPoP is bound to that key; without a proof of the
/// same key it is refused, and the refusal leaves it usable by its rightful holder. A confidential client's grant is
/// bound by its credentials instead (it may change keys) but never falls back to Bearer.
/// </summary>
public sealed class DPoPRefreshTokenTests : SignInFixture
{
    private readonly DPoPKey key = DPoPKey.Ec();
    private readonly DPoPKey otherKey = DPoPKey.Ec();

    [OneTimeTearDown]
    public void DisposeKeys()
    {
        key.Dispose();
        otherKey.Dispose();
    }

    private string TokenEndpoint => Host.Setting("Issuer").TrimEnd('/') + "/oauth2/token";

    private Task<HttpResponseMessage> PostAsync(DPoPKey? proofKey, params (string Key, string Value)[] form)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/oauth2/token")
        {
            Content = new FormUrlEncodedContent(form.Select(p => KeyValuePair.Create(p.Key, p.Value))),
        };
        if (proofKey is not null)
        {
            request.Headers.Add("DPoP", proofKey.Proof("POST", TokenEndpoint, issuedAt: Clock.GetUtcNow()));
        }

        return Client.SendAsync(request);
    }

    private async Task<JsonElement> NativeGrantWithDPoPAsync()
    {
        var (code, verifier) = await GetNativeCodeAsync();
        using var response = await PostAsync(key, ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", NativeRedirect),
            ("client_id", NativeClientId), ("code_verifier", verifier));
        var body = await SignInDriver.JsonAsync(response);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        return body;
    }

    private Task<HttpResponseMessage> RefreshAsync(string refreshToken, DPoPKey? proofKey) =>
        PostAsync(proofKey, ("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("client_id", NativeClientId));

    [Test]
    public async Task A_code_redeemed_with_dpop_gives_a_bound_access_token()
    {
        var body = await NativeGrantWithDPoPAsync();
        var access = new JsonWebToken(body.GetProperty("access_token").GetString());
        Assert.Multiple(() =>
        {
            Assert.That(body.GetProperty("token_type").GetString(), Is.EqualTo("DPoP"));
            Assert.That(access.GetPayloadValue<JsonElement>("cnf").GetProperty("jkt").GetString(), Is.EqualTo(key.Thumbprint()));
        });
    }

    [Test]
    public async Task A_bound_user_token_is_refused_as_bearer_at_userinfo()
    {
        // /userinfo takes no DPoP proofs yet: a bound token must not work there as a plain Bearer token.
        var accessToken = (await NativeGrantWithDPoPAsync()).GetProperty("access_token").GetString()!;
        using var request = new HttpRequestMessage(HttpMethod.Get, "/userinfo");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", accessToken);
        using var response = await Client.SendAsync(request);
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(response.Headers.WwwAuthenticate.ToString(), Does.Contain("invalid_token"));
        });
    }

    [Test]
    public async Task A_public_clients_dpop_refresh_token_is_refused_without_a_proof_of_the_same_key()
    {
        var refreshToken = (await NativeGrantWithDPoPAsync()).GetProperty("refresh_token").GetString()!;
        using var withoutProof = await RefreshAsync(refreshToken, null);
        await AssertOAuthErrorAsync(withoutProof, HttpStatusCode.BadRequest, "invalid_grant");
        using var withOtherKey = await RefreshAsync(refreshToken, otherKey);
        await AssertOAuthErrorAsync(withOtherKey, HttpStatusCode.BadRequest, "invalid_grant");

        // Neither refusal spent it: the holder of the key still refreshes, and gets a token bound to that key.
        using var withKey = await RefreshAsync(refreshToken, key);
        var body = await SignInDriver.JsonAsync(withKey);
        Assert.That(withKey.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        var access = new JsonWebToken(body.GetProperty("access_token").GetString());
        Assert.Multiple(() =>
        {
            Assert.That(body.GetProperty("token_type").GetString(), Is.EqualTo("DPoP"));
            Assert.That(access.GetPayloadValue<JsonElement>("cnf").GetProperty("jkt").GetString(), Is.EqualTo(key.Thumbprint()));
        });

        // The successor is bound as well.
        using var successorWithoutProof = await RefreshAsync(body.GetProperty("refresh_token").GetString()!, null);
        await AssertOAuthErrorAsync(successorWithoutProof, HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Test]
    public async Task A_refresh_token_obtained_as_bearer_stays_usable_without_dpop()
    {
        var (code, verifier) = await GetNativeCodeAsync();
        using var redeemed = await RedeemNativeAsync(code, verifier);
        var refreshToken = (await SignInDriver.JsonAsync(redeemed)).GetProperty("refresh_token").GetString()!;
        using var response = await RefreshAsync(refreshToken, null);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task A_confidential_clients_dpop_grant_needs_a_proof_but_may_change_keys()
    {
        var (verifier, challenge) = SignInSupport.NewPkce();
        using var browser = NewBrowser();
        using var redirect = await browser.SignInAsync(
            NativeRequest(WebClientId, challenge, ("redirect_uri", WebRedirect), ("scope", "openid offline_access")), Username, Password);
        var code = SignInDriver.QueryOf(redirect)["code"];
        (string, string)[] credentials = [("client_id", WebClientId), ("client_secret", WebSecret)];
        using var redeemed = await PostAsync(key, [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", WebRedirect),
            ("code_verifier", verifier), .. credentials]);
        var refreshToken = (await SignInDriver.JsonAsync(redeemed)).GetProperty("refresh_token").GetString()!;

        using var withoutProof = await PostAsync(null, [("grant_type", "refresh_token"), ("refresh_token", refreshToken), .. credentials]);
        await AssertOAuthErrorAsync(withoutProof, HttpStatusCode.BadRequest, "invalid_grant");
        using var withOtherKey = await PostAsync(otherKey,
            [("grant_type", "refresh_token"), ("refresh_token", refreshToken), .. credentials]);
        var body = await SignInDriver.JsonAsync(withOtherKey);
        Assert.That(withOtherKey.StatusCode, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        var access = new JsonWebToken(body.GetProperty("access_token").GetString());
        Assert.That(access.GetPayloadValue<JsonElement>("cnf").GetProperty("jkt").GetString(), Is.EqualTo(otherKey.Thumbprint()));
    }
}
