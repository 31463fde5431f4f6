using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using TestSupport;
using TokenService.Applications;
using TokenService.Tests.Authorize;
using TokenService.Users;

namespace TokenService.Tests.Users;

/// <summary>
/// Issue 11 points 3, 4 and 5 through the real sign-in: a tenant-limited application's user tokens always carry one
/// of the user's tenants that it allows; admin and application:admin only with a role; de-provisioning (a scope,
/// a role, a membership or a grant type taken away) reaches existing refresh tokens at their next use.
/// </summary>
public sealed class UserAccessTests : SignInFixture
{
    private UserAccounts Accounts => Host.Services.GetRequiredService<UserAccounts>();

    private TokenService.Applications.Applications Applications =>
        Host.Services.GetRequiredService<TokenService.Applications.Applications>();

    /// <summary>A public client on the native redirect URI, optionally limited to tenants.</summary>
    private async Task<string> CreatePublicClientAsync(string[]? allowedTenants, params string[] scopes)
    {
        var (created, error) = await Applications.CreateAsync("pub-" + Guid.NewGuid().ToString("N")[..8], "test", scopes,
            new ClientSettings("public", [NativeRedirect], ["authorization_code", "refresh_token"]), allowedTenants, default);
        return error is null ? created!.ClientId : throw new InvalidOperationException(error.Message);
    }

    private async Task<string> CreateUserAsync(string[] tenants, params string[] roles)
    {
        var username = "u" + Guid.NewGuid().ToString("N")[..10];
        await Host.CreateUserAsync(username, Password);
        foreach (var tenant in tenants)
        {
            Assert.That((await Accounts.ChangeAccessAsync(UserAccessKind.Tenant, username, tenant, add: true, default)).Error, Is.Null);
        }

        foreach (var role in roles)
        {
            Assert.That((await Accounts.ChangeAccessAsync(UserAccessKind.Role, username, role, add: true, default)).Error, Is.Null);
        }

        return username;
    }

    /// <summary>Signs in; the redirect's query (code, or error and error_description).</summary>
    private async Task<(Dictionary<string, string> Query, string Verifier)> AuthorizeAsync(string clientId, string username,
        params (string Key, string? Value)[] extra)
    {
        var (verifier, challenge) = SignInSupport.NewPkce();
        using var browser = NewBrowser();
        using var redirect = await browser.SignInAsync(NativeRequest(clientId, challenge, extra), username, Password);
        Assert.That(redirect.StatusCode, Is.EqualTo(HttpStatusCode.SeeOther));
        return (SignInDriver.QueryOf(redirect), verifier);
    }

    private async Task<JsonElement> TokensAsync(string clientId, string username, params (string Key, string? Value)[] extra)
    {
        var (query, verifier) = await AuthorizeAsync(clientId, username, extra);
        Assert.That(query, Does.ContainKey("code"), string.Join("; ", query.Select(q => q.Key + "=" + q.Value)));
        using var response = await TokenAsync(("grant_type", "authorization_code"), ("code", query["code"]),
            ("redirect_uri", NativeRedirect),
            ("client_id", clientId), ("code_verifier", verifier));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        return await SignInDriver.JsonAsync(response);
    }

    private Task<HttpResponseMessage> RefreshAsync(string clientId, string refreshToken, string? scope = null) => scope is null
        ? TokenAsync(("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("client_id", clientId))
        : TokenAsync(("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("client_id", clientId), ("scope", scope));

    private static JsonWebToken Access(JsonElement tokens) => new(tokens.GetProperty("access_token").GetString()!);

    private static string? Tenant(JsonWebToken jwt) => jwt.TryGetPayloadValue<string>("tenant", out var t) ? t : null;

    [Test] // The reproduction: allowedTenants ["acme"] and the authorization_code grant.
    public async Task A_tenant_limited_application_puts_the_users_only_allowed_tenant_in_every_token()
    {
        var client = await CreatePublicClientAsync(["acme"], "openid", "offline_access", "metric:query");
        var user = await CreateUserAsync(["acme", "globex"]);
        var tokens = await TokensAsync(client, user, ("scope", "openid offline_access metric:query"));
        using var refreshed = await RefreshAsync(client, tokens.GetProperty("refresh_token").GetString()!);
        Assert.Multiple(async () =>
        {
            Assert.That(Tenant(Access(tokens)), Is.EqualTo("acme"));
            Assert.That(Tenant(Access(await SignInDriver.JsonAsync(refreshed))), Is.EqualTo("acme"), "and after a refresh");
        });
    }

    [Test]
    public async Task A_user_of_several_allowed_tenants_names_one_or_is_refused()
    {
        var client = await CreatePublicClientAsync(["acme", "globex"], "openid", "metric:query");
        var user = await CreateUserAsync(["acme", "globex"]);
        var (unnamed, _) = await AuthorizeAsync(client, user, ("scope", "openid metric:query"));
        var (foreign, _) = await AuthorizeAsync(client, user, ("scope", "openid metric:query"), ("tenant", "initech"));
        using var browser = NewBrowser();
        using var newlineRedirect = await browser.AuthorizeAsync(NativeRequest(client, SignInSupport.NewPkce().Challenge,
            ("scope", "openid metric:query"), ("tenant", "globex\n")));
        var newline = SignInDriver.QueryOf(newlineRedirect);
        var named = await TokensAsync(client, user, ("scope", "openid metric:query"), ("tenant", "globex"));
        Assert.Multiple(() =>
        {
            Assert.That(unnamed["error"], Is.EqualTo("invalid_request"));
            Assert.That(unnamed["error_description"], Does.Contain("several tenants"));
            Assert.That(foreign["error"], Is.EqualTo("invalid_request"), "a tenant the user does not belong to");
            Assert.That(newline["error"], Is.EqualTo("invalid_request"), "a trailing newline is not a tenant (\\z, not $)");
            Assert.That(Tenant(Access(named)), Is.EqualTo("globex"));
        });
    }

    [Test]
    public async Task A_user_without_an_allowed_tenant_gets_no_token_from_a_tenant_limited_application()
    {
        var client = await CreatePublicClientAsync(["acme"], "openid", "metric:query");
        var stranger = await CreateUserAsync([]);
        var outsider = await CreateUserAsync(["initech"]);
        var (none, _) = await AuthorizeAsync(client, stranger, ("scope", "openid metric:query"));
        var (other, _) = await AuthorizeAsync(client, outsider, ("scope", "openid metric:query"));
        Assert.Multiple(() =>
        {
            Assert.That(none["error"], Is.EqualTo("access_denied"));
            Assert.That(other["error"], Is.EqualTo("access_denied"));
            Assert.That(none, Does.Not.ContainKey("code"));
        });
    }

    [Test]
    public async Task Removing_a_membership_makes_the_grants_refresh_invalid_grant()
    {
        var client = await CreatePublicClientAsync(["acme"], "openid", "offline_access", "metric:query");
        var user = await CreateUserAsync(["acme"]);
        var tokens = await TokensAsync(client, user, ("scope", "openid offline_access metric:query"));
        await Accounts.ChangeAccessAsync(UserAccessKind.Tenant, user, "acme", add: false, default);
        using var refreshed = await RefreshAsync(client, tokens.GetProperty("refresh_token").GetString()!);
        await AssertOAuthErrorAsync(refreshed, HttpStatusCode.BadRequest, "invalid_grant");
    }

    [Test]
    public async Task Admin_scopes_need_a_role_and_lose_it_at_the_next_refresh_when_the_role_goes()
    {
        var client = await CreatePublicClientAsync(null, "openid", "offline_access", "metric:query", "admin", "application:admin");
        var plain = await CreateUserAsync([]);
        var admin = await CreateUserAsync([], Roles.DataAdmin);
        var omitted = await TokensAsync(client, plain, ("scope", null));
        var (named, _) = await AuthorizeAsync(client, plain, ("scope", "openid admin"));
        var granted = await TokensAsync(client, admin, ("scope", "openid offline_access metric:query admin"));
        Assert.Multiple(() =>
        {
            Assert.That(omitted.GetProperty("scope").GetString()!.Split(' '), Does.Not.Contain("admin").And.Not.Contain("application:admin")
                .And.Contain("metric:query"));
            Assert.That(named["error"], Is.EqualTo("invalid_scope"), "named without the role");
            Assert.That(granted.GetProperty("scope").GetString()!.Split(' '), Does.Contain("admin").And.Not.Contain("application:admin"));
        });

        await Accounts.ChangeAccessAsync(UserAccessKind.Role, admin, Roles.DataAdmin, add: false, default);
        using var refreshed = await RefreshAsync(client, granted.GetProperty("refresh_token").GetString()!);
        var body = await SignInDriver.JsonAsync(refreshed);
        Assert.That(body.GetProperty("scope").GetString()!.Split(' '), Does.Not.Contain("admin").And.Contain("metric:query"));
    }

    [Test]
    public async Task A_scope_taken_from_the_application_is_not_yielded_by_its_refresh_tokens()
    {
        var client = await CreatePublicClientAsync(null, "openid", "offline_access", "metric:query", "metric:read");
        var user = await CreateUserAsync([]);
        var tokens = await TokensAsync(client, user, ("scope", "openid offline_access metric:query metric:read"));
        var (_, error) = await Applications.UpdateAsync(client, new ApplicationChanges(Scopes: ["openid", "offline_access", "metric:read"]),
            default);
        Assert.That(error, Is.Null);
        using var narrowed = await RefreshAsync(client, tokens.GetProperty("refresh_token").GetString()!);
        var body = await SignInDriver.JsonAsync(narrowed);
        using var widened = await RefreshAsync(client, body.GetProperty("refresh_token").GetString()!, "metric:query");
        Assert.Multiple(async () =>
        {
            Assert.That(body.GetProperty("scope").GetString()!.Split(' '), Does.Not.Contain("metric:query").And.Contain("metric:read"));
            await AssertOAuthErrorAsync(widened, HttpStatusCode.BadRequest, "invalid_scope");
        });

        var (_, grantError) = await Applications.UpdateAsync(client, new ApplicationChanges(GrantTypes: ["authorization_code"]), default);
        Assert.That(grantError, Is.Null);
        using var noRefresh = await RefreshAsync(client, body.GetProperty("refresh_token").GetString()!);
        await AssertOAuthErrorAsync(noRefresh, HttpStatusCode.BadRequest, "unauthorized_client");
    }

    [Test]
    public async Task A_code_verifier_with_a_trailing_newline_is_invalid_request()
    {
        var (code, verifier) = await GetNativeCodeAsync();
        using var response = await RedeemNativeAsync(code, verifier + "\n");
        await AssertOAuthErrorAsync(response, HttpStatusCode.BadRequest, "invalid_request");
    }

    [Test] // RFC 8252 s.7.3: a native app's loopback listener gets whatever port is free.
    public async Task A_loopback_redirect_uri_matches_on_any_port_but_not_another_path_or_host()
    {
        var (verifier, challenge) = SignInSupport.NewPkce();
        using var browser = NewBrowser();
        using var redirect = await browser.SignInAsync(NativeRequest(NativeClientId, challenge,
            ("redirect_uri", "http://127.0.0.1:51999/callback")),
            Username, Password);
        var location = redirect.Headers.Location!;
        using var redeemed = await TokenAsync(("grant_type", "authorization_code"), ("code", SignInDriver.QueryOf(redirect)["code"]),
            ("redirect_uri", "http://127.0.0.1:51999/callback"), ("client_id", NativeClientId), ("code_verifier", verifier));
        using var otherPath = await browser.AuthorizeAsync(NativeRequest(NativeClientId, challenge,
            ("redirect_uri", "http://127.0.0.1:51999/other")));
        using var otherHost = await browser.AuthorizeAsync(NativeRequest(NativeClientId, challenge,
            ("redirect_uri", "http://localhost:51999/callback")));
        Assert.Multiple(async () =>
        {
            Assert.That(location.GetLeftPart(UriPartial.Path), Is.EqualTo("http://127.0.0.1:51999/callback"));
            Assert.That(redeemed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(otherPath.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
            Assert.That(await otherHost.Content.ReadAsStringAsync(), Does.Contain("not registered"));
        });
    }
}
