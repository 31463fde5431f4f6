using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using TestSupport;
using TokenService.Applications;
using TokenService.Tests.Authorize;

namespace TokenService.Tests.ServiceToService;

/// <summary>
/// Issue 17 point 3: RFC 8693 token exchange. A service (grant type token-exchange) presents a user's access token and
/// gets one for the same user with itself as actor, never with more scope than both allow, and dying with the grant.
/// </summary>
public sealed class TokenExchangeTests : SignInFixture
{
    private const string Exchange = "urn:ietf:params:oauth:grant-type:token-exchange";
    private const string AccessTokenType = "urn:ietf:params:oauth:token-type:access_token";
    private string serviceId = null!;
    private string serviceSecret = null!;

    [OneTimeSetUp]
    public async Task CreateServiceAsync() =>
        (serviceId, serviceSecret) = await CreateAppAsync([Exchange], "metric:query", "metric:read");

    private async Task<(string Id, string Secret)> CreateAppAsync(string[] grants, params string[] scopes)
    {
        var (created, error) = await App.Services.GetRequiredService<TokenService.Applications.Applications>().CreateAsync(
            "svc-" + Guid.NewGuid().ToString("N")[..8], "", scopes, new ClientSettings(null, null, grants), default);
        Assert.That(error, Is.Null, error?.Message);
        return (created!.ClientId, created.Secret!);
    }

    private Task<HttpResponseMessage> ExchangeAsync(string subjectToken, string? id = null, string? secret = null,
        params (string Key, string Value)[] extra)
    {
        var form = new List<(string, string)>
        {
            ("grant_type", Exchange), ("client_id", id ?? serviceId), ("client_secret", secret ?? serviceSecret),
            ("subject_token", subjectToken), ("subject_token_type", AccessTokenType),
        };
        form.RemoveAll(p => extra.Any(e => e.Key == p.Item1));
        form.AddRange(extra);
        return TokenAsync([.. form]);
    }

    private async Task<(string AccessToken, string RefreshToken)> UserTokensAsync()
    {
        var (code, verifier) = await GetNativeCodeAsync("openid offline_access metric:query");
        using var response = await RedeemNativeAsync(code, verifier);
        var json = await SignInDriver.JsonAsync(response);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), json.ToString());
        return (json.GetProperty("access_token").GetString()!, json.GetProperty("refresh_token").GetString()!);
    }

    [Test]
    public async Task A_service_gets_a_token_for_the_user_with_itself_as_actor_and_the_shared_scopes_only()
    {
        var (userToken, _) = await UserTokensAsync();
        using var response = await ExchangeAsync(userToken);
        var json = await SignInDriver.JsonAsync(response);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), json.ToString());
        var subject = new JsonWebToken(userToken);
        var exchanged = new JsonWebToken(json.GetProperty("access_token").GetString());
        Assert.Multiple(() =>
        {
            Assert.That(json.GetProperty("issued_token_type").GetString(), Is.EqualTo(AccessTokenType));
            Assert.That(json.GetProperty("token_type").GetString(), Is.EqualTo("Bearer"));
            Assert.That(json.TryGetProperty("refresh_token", out _), Is.False);
            Assert.That(exchanged.Subject, Is.EqualTo(subject.Subject));
            Assert.That(exchanged.GetClaim("client_id").Value, Is.EqualTo(serviceId));
            Assert.That(exchanged.GetPayloadValue<JsonElement>("act").GetProperty("sub").GetString(), Is.EqualTo(serviceId));
            Assert.That(exchanged.GetClaim("scope").Value, Is.EqualTo("metric:query"), "openid and offline_access are not the service's");
            Assert.That(exchanged.GetClaim("grant_id").Value, Is.EqualTo(subject.GetClaim("grant_id").Value));
            Assert.That(exchanged.ValidTo, Is.LessThanOrEqualTo(subject.ValidTo));
        });
    }

    [Test]
    public async Task An_exchanged_token_exchanged_again_nests_the_actors()
    {
        var (userToken, _) = await UserTokensAsync();
        using var first = await ExchangeAsync(userToken);
        var once = (await SignInDriver.JsonAsync(first)).GetProperty("access_token").GetString()!;
        var (secondId, secondSecret) = await CreateAppAsync([Exchange], "metric:query");
        using var second = await ExchangeAsync(once, secondId, secondSecret);
        var json = await SignInDriver.JsonAsync(second);
        Assert.That(second.StatusCode, Is.EqualTo(HttpStatusCode.OK), json.ToString());
        var act = new JsonWebToken(json.GetProperty("access_token").GetString()).GetPayloadValue<JsonElement>("act");
        Assert.Multiple(() =>
        {
            Assert.That(act.GetProperty("sub").GetString(), Is.EqualTo(secondId));
            Assert.That(act.GetProperty("act").GetProperty("sub").GetString(), Is.EqualTo(serviceId));
        });
    }

    [Test]
    public async Task Revoking_the_users_grant_kills_the_exchanged_token()
    {
        var (userToken, refreshToken) = await UserTokensAsync();
        using var exchanged = await ExchangeAsync(userToken);
        var token = (await SignInDriver.JsonAsync(exchanged)).GetProperty("access_token").GetString()!;
        using var before = await IntrospectAsync(token);
        using var revoke = await TokenRevokeAsync(refreshToken);
        // A grant revocation reaches this instance's revocation list by the change notification, within seconds.
        var active = true;
        for (var deadline = DateTime.UtcNow.AddSeconds(15); active && DateTime.UtcNow < deadline; await Task.Delay(100))
        {
            using var after = await IntrospectAsync(token);
            active = (await SignInDriver.JsonAsync(after)).GetProperty("active").GetBoolean();
        }

        Assert.Multiple(async () =>
        {
            Assert.That(revoke.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((await SignInDriver.JsonAsync(before)).GetProperty("active").GetBoolean(), Is.True);
            Assert.That(active, Is.False, "the exchanged token carries the user's grant_id, so it dies with the grant");
        });
    }

    private Task<HttpResponseMessage> TokenRevokeAsync(string refreshToken) =>
        Client.PostAsync("/oauth2/revoke", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = refreshToken, ["token_type_hint"] = "refresh_token", ["client_id"] = NativeClientId,
        }));

    private Task<HttpResponseMessage> IntrospectAsync(string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/oauth2/introspect")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = token }),
        };
        request.Headers.Authorization = TokenServiceHost.Basic(WebClientId, WebSecret);
        return Client.SendAsync(request);
    }

    [Test]
    public async Task The_subjects_tenant_is_kept_and_another_tenant_is_refused()
    {
        var (subjectId, subjectSecret) = await CreateAppAsync(["client_credentials"], "metric:query");
        var subjectToken = await TokenServiceHost.GetTokenAsync(Client, subjectId, subjectSecret, tenant: "acme");
        using var kept = await ExchangeAsync(subjectToken);
        using var other = await ExchangeAsync(subjectToken, extra: ("tenant", "globex"));
        var json = await SignInDriver.JsonAsync(kept);
        Assert.That(kept.StatusCode, Is.EqualTo(HttpStatusCode.OK), json.ToString());
        Assert.That(new JsonWebToken(json.GetProperty("access_token").GetString()).GetClaim("tenant").Value, Is.EqualTo("acme"));
        await AssertOAuthErrorAsync(other, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Test]
    public async Task The_subjects_policy_values_are_copied_through_unchanged()
    {
        // Issue 15 puts policy_values into tokens; a token of ours carrying them stands in for one here.
        var policyValues = JsonDocument.Parse("""{"region":"eu","team":"data"}""").RootElement;
        var subject = App.Services.GetRequiredService<TokenService.Issuance.AccessTokenIssuer>().Issue(
            new TokenService.Issuance.AccessTokenRequest(UserId.ToString(), NativeClientId, ["metric:query"], "acme")
            {
                CarriedClaims = new Dictionary<string, object> { ["policy_values"] = policyValues },
            });
        using var response = await ExchangeAsync(subject.Jwt);
        var json = await SignInDriver.JsonAsync(response);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), json.ToString());
        var exchanged = new JsonWebToken(json.GetProperty("access_token").GetString());
        Assert.Multiple(() =>
        {
            Assert.That(exchanged.GetPayloadValue<JsonElement>("policy_values").GetRawText(), Is.EqualTo(policyValues.GetRawText()));
            Assert.That(exchanged.GetClaim("tenant").Value, Is.EqualTo("acme"));
        });
    }

    [Test]
    public async Task A_scope_beyond_the_subject_token_is_invalid_scope()
    {
        var (userToken, _) = await UserTokensAsync();
        using var response = await ExchangeAsync(userToken, extra: ("scope", "metric:read"));
        await AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_scope");
    }

    [Test]
    public async Task An_application_without_the_grant_type_is_unauthorized_client()
    {
        var (userToken, _) = await UserTokensAsync();
        var (id, secret) = await CreateAppAsync(["client_credentials"], "metric:query");
        using var response = await ExchangeAsync(userToken, id, secret);
        await AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "unauthorized_client");
    }

    [TestCase("not-a-token", AccessTokenType, "invalid_grant", TestName = "A_subject_token_that_is_not_ours_is_invalid_grant")]
    [TestCase("x.y.z", "urn:ietf:params:oauth:token-type:id_token", "invalid_request",
        TestName = "A_subject_token_type_other_than_access_token_is_invalid_request")]
    public async Task A_bad_subject_token_is_refused(string subjectToken, string type, string error)
    {
        using var response = await ExchangeAsync(subjectToken, extra: ("subject_token_type", type));
        await AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, error);
    }

    [Test]
    public async Task A_missing_subject_token_is_invalid_request()
    {
        using var response = await TokenAsync(("grant_type", Exchange), ("client_id", serviceId), ("client_secret", serviceSecret));
        await AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Test]
    public async Task A_public_client_cannot_register_for_token_exchange()
    {
        var (_, error) = await App.Services.GetRequiredService<TokenService.Applications.Applications>().CreateAsync(
            "pub-" + Guid.NewGuid().ToString("N")[..8], "", ["metric:query"], new ClientSettings("public", null, [Exchange]), default);
        Assert.That(error?.Field, Is.EqualTo("grantTypes"));
    }
}
