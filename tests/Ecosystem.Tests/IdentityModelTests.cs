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
