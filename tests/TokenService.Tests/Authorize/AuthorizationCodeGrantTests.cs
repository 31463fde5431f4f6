using System.Net;
using TestSupport;

namespace TokenService.Tests.Authorize;

/// <summary>POST /oauth2/token with grant_type=authorization_code: every binding of the code, single use, replay, race.</summary>
public sealed class AuthorizationCodeGrantTests : SignInFixture
{
    [Test]
    public async Task Wrong_code_verifier_is_invalid_grant()
    {
        var (code, _) = await GetNativeCodeAsync();
        var (otherVerifier, _) = SignInSupport.NewPkce();
        using var response = await RedeemNativeAsync(code, otherVerifier);
        await AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Test]
    public async Task Missing_code_verifier_is_invalid_grant_when_a_challenge_was_sent()
    {
        var (code, _) = await GetNativeCodeAsync();
        using var response = await TokenAsync(("grant_type", "authorization_code"), ("code", code), ("redirect_uri", NativeRedirect),
            ("client_id", NativeClientId));
        await AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Test]
    public async Task Malformed_code_verifier_is_invalid_request()
    {
        var (code, _) = await GetNativeCodeAsync();
        using var response = await RedeemNativeAsync(code, "short");
        await AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Test]
    public async Task Different_redirect_uri_is_invalid_grant()
    {
        var (code, verifier) = await GetNativeCodeAsync();
        using var response = await TokenAsync(("grant_type", "authorization_code"), ("code", code), ("redirect_uri", NativeRedirect + "x"),
            ("client_id", NativeClientId), ("code_verifier", verifier));
        await AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Test]
    public async Task Code_issued_to_another_client_is_invalid_grant()
    {
        var (code, verifier) = await GetNativeCodeAsync();
        using var response = await TokenAsync(("grant_type", "authorization_code"), ("code", code), ("redirect_uri", NativeRedirect),
            ("client_id", WebClientId), ("client_secret", WebSecret), ("code_verifier", verifier));
        await AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Test]
    public async Task Unknown_code_is_invalid_grant_and_missing_code_is_invalid_request()
    {
        using var unknown = await RedeemNativeAsync("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", SignInSupport.NewPkce().Verifier);
        await AssertOAuthErrorAsync(unknown, HttpStatusCode.BadRequest, "invalid_grant");
        using var missing = await TokenAsync(("grant_type", "authorization_code"), ("redirect_uri", NativeRedirect), ("client_id", NativeClientId));
        await AssertOAuthErrorAsync(missing, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Test]
    public async Task Confidential_client_without_its_secret_is_invalid_client()
    {
        using var response = await TokenAsync(("grant_type", "authorization_code"), ("code", "x"), ("redirect_uri", WebRedirect),
            ("client_id", WebClientId));
        await AssertOAuthErrorAsync(response, HttpStatusCode.Unauthorized, "invalid_client");
    }

    [Test]
    public async Task Public_client_cannot_use_client_credentials()
    {
        using var response = await TokenAsync(("grant_type", "client_credentials"), ("client_id", NativeClientId));
        await AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "unauthorized_client");
    }

    [Test]
    public async Task Code_older_than_60_seconds_is_invalid_grant()
    {
        var (code, verifier) = await GetNativeCodeAsync();
        Clock.Advance(TimeSpan.FromSeconds(61));
        using var response = await RedeemNativeAsync(code, verifier);
        await AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Test]
    public async Task Code_is_stored_only_as_its_hash_and_bound_to_the_access_token_issued()
    {
        var (code, verifier) = await GetNativeCodeAsync();
        var stored = await ScalarAsync<long>(
            "SELECT count(*) FROM authorization_codes WHERE code_hash = sha256(convert_to(@code, 'UTF8')) AND octet_length(code_hash) = 32", new { code });
        using var response = await RedeemNativeAsync(code, verifier);
        // The code is bound to its access token by the grant id both carry: a replay revokes that grant (issue 11 point 2).
        var jti = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(
            (await SignInDriver.JsonAsync(response)).GetProperty("access_token").GetString()).GetPayloadValue<string>("grant_id");
        var recorded = (await ScalarAsync<Guid?>("SELECT grant_id FROM authorization_codes WHERE code_hash = sha256(convert_to(@code, 'UTF8'))",
            new { code }))?.ToString();
        Assert.Multiple(() =>
        {
            Assert.That(stored, Is.EqualTo(1), "the SHA-256 of the code, 32 bytes, is all that is kept");
            Assert.That(recorded, Is.EqualTo(jti));
        });
    }

    [Test]
    public async Task Second_redemption_fails_and_revokes_the_refresh_token_issued_from_the_code()
    {
        var (code, verifier) = await GetNativeCodeAsync();
        using var first = await RedeemNativeAsync(code, verifier);
        var refreshToken = (await SignInDriver.JsonAsync(first)).GetProperty("refresh_token").GetString()!;
        using var second = await RedeemNativeAsync(code, verifier);
        await AssertOAuthErrorAsync(second, HttpStatusCode.BadRequest, "invalid_grant");
        using var refresh = await RefreshNativeAsync(refreshToken);
        await AssertOAuthErrorAsync(refresh, HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Test]
    public async Task Twenty_parallel_redemptions_of_one_code_give_exactly_one_success()
    {
        var (code, verifier) = await GetNativeCodeAsync();
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => RedeemNativeAsync(code, verifier)));
        var statuses = responses.Select(r => r.StatusCode).ToList();
        foreach (var r in responses)
        {
            r.Dispose();
        }

        Assert.Multiple(() =>
        {
            Assert.That(statuses.Count(s => s == HttpStatusCode.OK), Is.EqualTo(1));
            Assert.That(statuses.Count(s => s == HttpStatusCode.BadRequest), Is.EqualTo(19));
        });
    }
}
