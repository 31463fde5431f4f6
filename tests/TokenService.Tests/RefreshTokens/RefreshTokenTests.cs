using System.Net;
using Microsoft.IdentityModel.JsonWebTokens;
using TokenService.Tests.Authorize;

namespace TokenService.Tests.RefreshTokens;

/// <summary>grant_type=refresh_token: rotation, reuse detection, scope narrowing, client binding, idle and absolute lifetimes.</summary>
public sealed class RefreshTokenTests : SignInFixture
{
    protected override Dictionary<string, string?> Settings => new()
    {
        ["RefreshTokenIdleLifetimeSeconds"] = "120",
        ["RefreshTokenAbsoluteLifetimeSeconds"] = "300",
    };

    private async Task<string> NewRefreshTokenAsync(string scope = "openid profile offline_access")
    {
        var (code, verifier) = await GetNativeCodeAsync(scope);
        using var response = await RedeemNativeAsync(code, verifier);
        return (await SignInDriver.JsonAsync(response)).GetProperty("refresh_token").GetString()!;
    }

    [Test]
    public async Task No_offline_access_no_refresh_token()
    {
        var (code, verifier) = await GetNativeCodeAsync("openid profile");
        using var response = await RedeemNativeAsync(code, verifier);
        Assert.That((await SignInDriver.JsonAsync(response)).TryGetProperty("refresh_token", out _), Is.False);
    }

    [Test]
    public async Task Refresh_token_is_opaque_and_stored_only_hashed()
    {
        var token = await NewRefreshTokenAsync();
        var hashed = await ScalarAsync<long>(
            "SELECT count(*) FROM refresh_tokens WHERE token_hash = sha256(convert_to(@token, 'UTF8')) AND octet_length(token_hash) = 32",
                new { token });
        Assert.Multiple(() =>
        {
            Assert.That(token, Has.Length.EqualTo(43));
            Assert.That(token.Count(c => c == '.'), Is.Zero, "not a JWT");
            Assert.That(hashed, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Scope_can_be_narrowed_but_not_widened()
    {
        var token = await NewRefreshTokenAsync("openid offline_access");
        using var widened = await RefreshNativeAsync(token, "openid profile offline_access");
        await AssertOAuthErrorAsync(widened, HttpStatusCode.BadRequest, "invalid_scope");

        // A refused widening changes nothing: the same token still works, and narrowing is allowed.
        using var narrowed = await RefreshNativeAsync(token, "openid");
        var json = await SignInDriver.JsonAsync(narrowed);
        Assert.That(narrowed.StatusCode, Is.EqualTo(HttpStatusCode.OK), json.ToString());
        var access = new JsonWebToken(json.GetProperty("access_token").GetString());
        Assert.Multiple(() =>
        {
            Assert.That(json.GetProperty("scope").GetString(), Is.EqualTo("openid"));
            Assert.That(access.GetClaim("scope").Value, Is.EqualTo("openid"));
            Assert.That(json.TryGetProperty("id_token", out _), Is.True);
        });

        // The successor keeps the original grant (RFC 6749 s.6): the next refresh may ask for offline_access again.
        using var again = await RefreshNativeAsync(json.GetProperty("refresh_token").GetString()!, "openid offline_access");
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Refresh_token_is_bound_to_its_client()
    {
        var token = await NewRefreshTokenAsync();
        using var other = await TokenAsync(("grant_type", "refresh_token"), ("refresh_token", token), ("client_id", WebClientId),
            ("client_secret", WebSecret));
        await AssertOAuthErrorAsync(other, HttpStatusCode.BadRequest, "invalid_grant");
        using var own = await RefreshNativeAsync(token);
        Assert.That(own.StatusCode, Is.EqualTo(HttpStatusCode.OK), "another client's attempt neither consumed nor revoked it");
    }

    [Test]
    public async Task Unknown_and_missing_refresh_tokens_are_refused()
    {
        using var unknown = await RefreshNativeAsync("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        await AssertOAuthErrorAsync(unknown, HttpStatusCode.BadRequest, "invalid_grant");
        using var missing = await TokenAsync(("grant_type", "refresh_token"), ("client_id", NativeClientId));
        await AssertOAuthErrorAsync(missing, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Test]
    public async Task Idle_refresh_token_expires_but_each_rotation_restarts_the_idle_period_until_the_absolute_limit()
    {
        var token = await NewRefreshTokenAsync();
        // Rotating every 100 s keeps it alive past the 120 s idle lifetime...
        for (var i = 0; i < 2; i++)
        {
            Clock.Advance(TimeSpan.FromSeconds(100));
            using var response = await RefreshNativeAsync(token);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"rotation {i}");
            token = (await SignInDriver.JsonAsync(response)).GetProperty("refresh_token").GetString()!;
        }

        // ...but not past the 300 s absolute lifetime of the family.
        Clock.Advance(TimeSpan.FromSeconds(101));
        using var expired = await RefreshNativeAsync(token);
        await AssertOAuthErrorAsync(expired, HttpStatusCode.BadRequest, "invalid_grant");

        var idle = await NewRefreshTokenAsync();
        Clock.Advance(TimeSpan.FromSeconds(121));
        using var idleExpired = await RefreshNativeAsync(idle);
        await AssertOAuthErrorAsync(idleExpired, HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Test]
    public async Task Parallel_use_of_one_refresh_token_gives_one_success_and_revokes_the_family()
    {
        var token = await NewRefreshTokenAsync();
        var responses = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => RefreshNativeAsync(token)));
        var winners = responses.Where(r => r.StatusCode == HttpStatusCode.OK).ToList();
        Assert.That(winners, Has.Count.EqualTo(1));
        var successor = (await SignInDriver.JsonAsync(winners[0])).GetProperty("refresh_token").GetString()!;
        foreach (var r in responses)
        {
            r.Dispose();
        }

        using var afterRace = await RefreshNativeAsync(successor);
        await AssertOAuthErrorAsync(afterRace, HttpStatusCode.BadRequest, "invalid_grant");
        var revoked = await ScalarAsync<bool>("""
            SELECT f.revoked_at IS NOT NULL FROM refresh_tokens t JOIN refresh_token_families f ON f.id = t.family_id
            WHERE t.token_hash = sha256(convert_to(@token, 'UTF8'))
            """, new { token });
        Assert.That(revoked, Is.True);
    }

    [Test]
    public async Task Confidential_client_must_authenticate_to_refresh()
    {
        using var browser = NewBrowser();
        using var redirect = await browser.SignInAsync(new Dictionary<string, string?>
        {
            ["response_type"] = "code", ["client_id"] = WebClientId, ["redirect_uri"] = WebRedirect, ["scope"] = "openid offline_access",
        }, Username, Password);
        using var exchange = await TokenAsync(("grant_type", "authorization_code"), ("code", SignInDriver.QueryOf(redirect)["code"]),
            ("redirect_uri", WebRedirect), ("client_id", WebClientId), ("client_secret", WebSecret));
        var token = (await SignInDriver.JsonAsync(exchange)).GetProperty("refresh_token").GetString()!;

        using var unauthenticated = await TokenAsync(("grant_type", "refresh_token"), ("refresh_token", token), ("client_id", WebClientId));
        await AssertOAuthErrorAsync(unauthenticated, HttpStatusCode.Unauthorized, "invalid_client");
        using var authenticated = await TokenAsync(("grant_type", "refresh_token"), ("refresh_token", token), ("client_id", WebClientId),
            ("client_secret", WebSecret));
        Assert.That(authenticated.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Revoking_a_refresh_token_revokes_its_family_and_the_access_tokens_issued_beside_it()
    {
        var (code, verifier) = await GetNativeCodeAsync();
        using var redeemed = await RedeemNativeAsync(code, verifier);
        var first = await SignInDriver.JsonAsync(redeemed);
        using var refreshed = await RefreshNativeAsync(first.GetProperty("refresh_token").GetString()!);
        var second = await SignInDriver.JsonAsync(refreshed);
        var refreshToken = second.GetProperty("refresh_token").GetString()!;

        using var revoke = await Client.PostAsync("/oauth2/revoke", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = refreshToken, ["token_type_hint"] = "refresh_token", ["client_id"] = NativeClientId,
        }));
        using var afterRevoke = await RefreshNativeAsync(refreshToken);
        // Both access tokens carry the grant's id; one 'grant' revocation covers them and any minted meanwhile.
        var grants = new[] { first, second }.Select(j =>
            new JsonWebToken(j.GetProperty("access_token").GetString()).GetPayloadValue<string>("grant_id"))
            .Distinct().ToArray();
        var revokedJtis = grants.Length == 1
            ? 2 * await ScalarAsync<long>("SELECT count(*) FROM revocations WHERE kind = 'grant' AND value = @grant",
                new { grant = grants[0] })
            : 0;
        using var introspection = await Client.PostAsync("/oauth2/introspect", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = second.GetProperty("access_token").GetString()!, ["client_id"] = WebClientId, ["client_secret"] = WebSecret,
        }));
        Assert.Multiple(async () =>
        {
            Assert.That(revoke.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(afterRevoke.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "the family is revoked");
            Assert.That(revokedJtis, Is.EqualTo(2), "both access tokens carry the one grant id that goes to the revocation feed");
            Assert.That((await SignInDriver.JsonAsync(introspection)).GetProperty("active").GetBoolean(), Is.False);
        });
    }
}
