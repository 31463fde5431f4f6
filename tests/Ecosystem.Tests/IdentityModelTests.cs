using System.Net;
using Duende.IdentityModel.Client;

namespace Ecosystem.Tests;

/// <summary>Duende.IdentityModel, the client library most .NET OAuth callers use, with its default discovery policy.</summary>
public sealed class IdentityModelTests
{
    private HttpClient http = null!;

    [SetUp]
    public void CreateClient() => http = Ecosystem.Certificate.TrustingClient();

    [TearDown]
    public void DisposeClient() => http.Dispose();

    [Test]
    public async Task Discovery_document_passes_the_default_policy()
    {
        // Default policy: https, issuer name equals the authority, every endpoint under the authority, a key set.
        var disco = await http.GetDiscoveryDocumentAsync(Ecosystem.Issuer);
        Assert.Multiple(() =>
        {
            Assert.That(disco.IsError, Is.False, disco.Error);
            Assert.That(disco.Issuer, Is.EqualTo(Ecosystem.Issuer));
            Assert.That(disco.TokenEndpoint, Is.EqualTo(Ecosystem.Issuer + "/oauth2/token"));
            Assert.That(disco.KeySet?.Keys.Select(k => k.Alg), Is.Not.Empty.And.All.EqualTo("RS256"));
            Assert.That(disco.GrantTypesSupported, Does.Contain("client_credentials"));
        });
    }

    [TestCase(ClientCredentialStyle.AuthorizationHeader)]
    [TestCase(ClientCredentialStyle.PostBody)]
    public async Task Client_credentials_token_from_discovery_calls_the_resource_api(ClientCredentialStyle style)
    {
        var disco = await http.GetDiscoveryDocumentAsync(Ecosystem.Issuer);
        Assert.That(disco.IsError, Is.False, disco.Error);

        var token = await http.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest
        {
            Address = disco.TokenEndpoint,
            ClientId = Ecosystem.Application.ClientId,
            ClientSecret = Ecosystem.Application.Secret,
            ClientCredentialStyle = style,
            Scope = "metric:read",
        });
        Assert.That(token.IsError, Is.False, token.Error + " " + token.ErrorDescription);
        Assert.Multiple(() =>
        {
            Assert.That(token.TokenType, Is.EqualTo("Bearer"));
            Assert.That(token.ExpiresIn, Is.EqualTo(3600));
            Assert.That(token.Scope, Is.EqualTo("metric:read"));
        });

        using var api = Ecosystem.Api.CreateClient();
        var (status, body) = await ResourceApiCall.QueryAsync(api, token.AccessToken!);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        Assert.That(ResourceApiCall.MetricCount(body), Is.GreaterThan(0));
    }

    /// <summary>Issue 11 point 1 with a real client library: RFC 7009 revocation, then RFC 7662 and the API both refuse it.</summary>
    [Test]
    public async Task A_token_revoked_with_the_library_is_inactive_at_introspection_and_refused_by_the_api()
    {
        var disco = await http.GetDiscoveryDocumentAsync(Ecosystem.Issuer);
        Assert.That(disco.IsError, Is.False, disco.Error);
        var token = await http.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest
        {
            Address = disco.TokenEndpoint, ClientId = Ecosystem.Application.ClientId, ClientSecret = Ecosystem.Application.Secret,
            Scope = "metric:read",
        });
        Assert.That(token.IsError, Is.False, token.Error);
        using var api = Ecosystem.Api.CreateClient();
        Assert.That((await ResourceApiCall.QueryAsync(api, token.AccessToken!)).Status, Is.EqualTo(HttpStatusCode.OK));

        var revoked = await http.RevokeTokenAsync(new TokenRevocationRequest
        {
            Address = disco.RevocationEndpoint, ClientId = Ecosystem.Application.ClientId, ClientSecret = Ecosystem.Application.Secret,
            Token = token.AccessToken!, TokenTypeHint = "access_token",
        });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var introspected = await http.IntrospectTokenAsync(new TokenIntrospectionRequest
        {
            Address = disco.IntrospectionEndpoint, ClientId = Ecosystem.Application.ClientId, ClientSecret = Ecosystem.Application.Secret,
            Token = token.AccessToken!,
        });
        var status = HttpStatusCode.OK;
        while (clock.Elapsed < TimeSpan.FromSeconds(5)
            && (status = (await ResourceApiCall.QueryAsync(api, token.AccessToken!)).Status) == HttpStatusCode.OK)
        {
            await Task.Delay(50);
        }

        TestContext.Out.WriteLine($"revoked with Duende.IdentityModel: refused by the ResourceApi after {clock.ElapsedMilliseconds} ms");
        Assert.Multiple(() =>
        {
            Assert.That(revoked.IsError, Is.False, revoked.Error);
            Assert.That(introspected.IsError, Is.False, introspected.Error);
            Assert.That(introspected.IsActive, Is.False);
            Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
        });
    }

    /// <summary>
    /// RFC 6749 s.5.2 allows 401 for invalid_client and the contract requires it. Duende.IdentityModel treats only
    /// 400 as a protocol error: on 401 it reports ErrorType Http and Error = the reason phrase, and the RFC error code
    /// stays in <c>Json</c>. Callers that branch on invalid_client must read it from there.
    /// </summary>
    [Test]
    public async Task Wrong_secret_is_invalid_client_in_the_response_json()
    {
        var token = await http.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest
        {
            Address = Ecosystem.Issuer + "/oauth2/token",
            ClientId = Ecosystem.Application.ClientId,
            ClientSecret = "tss_wrong",
        });
        Assert.Multiple(() =>
        {
            Assert.That(token.IsError, Is.True);
            Assert.That(token.ErrorType, Is.EqualTo(ResponseErrorType.Http));
            Assert.That(token.Json?.GetProperty("error").GetString(), Is.EqualTo("invalid_client"));
            Assert.That(token.HttpStatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        });
    }
}
