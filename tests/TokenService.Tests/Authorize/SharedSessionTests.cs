using System.Net;
using Dapper;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.WebUtilities;
using Npgsql;
using TestSupport;

namespace TokenService.Tests.Authorize;

/// <summary>
/// Two instances on one database (and one KEK) share the Data Protection key ring through PostgreSQL, so a login
/// session started at one is honoured by the other; the stored keys are sealed, not plain XML.
/// </summary>
public sealed class SharedSessionTests
{
    [Test]
    public async Task A_session_cookie_from_one_instance_is_honoured_by_another_and_keys_are_sealed_at_rest()
    {
        var database = await PostgresServer.CreateDatabaseAsync("sharedsession");
        await using var first = new TokenServiceHost(database);
        await using var second = new TokenServiceHost(database, new Dictionary<string, string?> { ["KEY_ENCRYPTION_KEY"] = first.KeyEncryptionKey });
        using var ready = await first.CreateReadyClientAsync();
        await first.CreateUserAsync("grace", SignInFixture.Password);
        var (clientId, _) = await first.CreateClientAsync("public", [SignInFixture.NativeRedirect], "openid");
        var (_, challenge) = SignInSupport.NewPkce();
        var query = new Dictionary<string, string?>
        {
            ["response_type"] = "code", ["client_id"] = clientId, ["redirect_uri"] = SignInFixture.NativeRedirect, ["scope"] = "openid",
            ["code_challenge"] = challenge, ["code_challenge_method"] = "S256",
        };

        using var browser = SignInDriver.Create(first);
        using var signedIn = await browser.SignInAsync(query, "grace", SignInFixture.Password);
        var session = signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("tss_session=", StringComparison.Ordinal)).Split(';')[0];

        using var other = second.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        using var request = new HttpRequestMessage(HttpMethod.Get, QueryHelpers.AddQueryString("/oauth2/authorize", query));
        request.Headers.Add("Cookie", session);
        using var response = await other.SendAsync(request);

        await using var connection = new NpgsqlConnection(database);
        var keys = (await connection.QueryAsync<string>("SELECT xml FROM data_protection_keys")).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(signedIn.StatusCode, Is.EqualTo(HttpStatusCode.SeeOther));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), "the second instance skipped the form");
            Assert.That(SignInDriver.QueryOf(response), Does.ContainKey("code"));
            Assert.That(keys, Is.Not.Empty);
            Assert.That(keys, Has.All.Contain("sealedKey").And.All.Not.Contain("<masterKey"));
        });
    }
}
