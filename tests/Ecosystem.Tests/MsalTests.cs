using System.Net;
using Microsoft.Identity.Client;

namespace Ecosystem.Tests;

/// <summary>
/// Microsoft.Identity.Client (MSAL.NET) as a confidential client of a generic OpenID Connect authority: it reads
/// our discovery document and sends a client_credentials request to the token_endpoint it lists.
/// </summary>
public sealed class MsalTests
{
    /// <summary>MSAL's own HttpClient, trusting the test certificate (production would trust a real CA).</summary>
    private sealed class TrustingHttpClientFactory : IMsalHttpClientFactory
    {
        private readonly HttpClient client = Ecosystem.Certificate.TrustingClient();

        public HttpClient GetHttpClient() => client;
    }

    private static IConfidentialClientApplication Build() =>
        ConfidentialClientApplicationBuilder.Create(Ecosystem.Application.ClientId)
            .WithClientSecret(Ecosystem.Application.Secret)
            .WithOidcAuthority(Ecosystem.Issuer)
            .WithHttpClientFactory(new TrustingHttpClientFactory())
            .Build();

    [Test]
    public async Task Confidential_client_gets_a_token_and_calls_the_resource_api()
    {
        var result = await Build().AcquireTokenForClient(["metric:read"]).ExecuteAsync();
        Assert.That(result.TokenType, Is.EqualTo("Bearer"));
        Assert.That(result.Scopes, Is.EqualTo(new[] { "metric:read" }));

        using var api = Ecosystem.Api.CreateClient();
        var (status, body) = await ResourceApiCall.QueryAsync(api, result.AccessToken);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body.ToString());
        Assert.That(ResourceApiCall.MetricCount(body), Is.GreaterThan(0));
    }

    [Test]
    public async Task A_second_request_is_served_from_msals_token_cache()
    {
        var app = Build();
        var first = await app.AcquireTokenForClient(["metric:read"]).ExecuteAsync();
        var second = await app.AcquireTokenForClient(["metric:read"]).ExecuteAsync();
        Assert.Multiple(() =>
        {
            Assert.That(first.AuthenticationResultMetadata.TokenSource, Is.EqualTo(TokenSource.IdentityProvider));
            Assert.That(second.AuthenticationResultMetadata.TokenSource, Is.EqualTo(TokenSource.Cache));
            Assert.That(second.AccessToken, Is.EqualTo(first.AccessToken));
        });
    }

    [Test]
    public async Task Wrong_secret_surfaces_as_invalid_client()
    {
        var app = ConfidentialClientApplicationBuilder.Create(Ecosystem.Application.ClientId)
            .WithClientSecret("tss_wrong")
            .WithOidcAuthority(Ecosystem.Issuer)
            .WithHttpClientFactory(new TrustingHttpClientFactory())
            .Build();
        var failure = await Assert.ThrowsAsync<MsalServiceException>(() => app.AcquireTokenForClient(["metric:read"]).ExecuteAsync());
        Assert.Multiple(() =>
        {
            Assert.That(failure!.ErrorCode, Is.EqualTo("invalid_client"));
            Assert.That(failure.StatusCode, Is.EqualTo(401));
        });
    }

    /// <summary>
    /// Why the ecosystem fixture runs over TLS: MSAL refuses a plain-http authority before any request, even on
    /// loopback. An issuer that MSAL callers use must be https.
    /// </summary>
    [Test]
    public void Msal_refuses_an_http_authority_even_on_loopback()
    {
        var builder = ConfidentialClientApplicationBuilder.Create("any").WithClientSecret("any");
        Assert.That(() => builder.WithOidcAuthority("http://127.0.0.1:5000").Build(), Throws.InstanceOf<ArgumentException>());
    }
}
