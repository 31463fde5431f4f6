using System.Net;
using System.Net.Http.Json;
using Duende.IdentityModel.Client;
using TestSupport;

namespace Ecosystem.Tests;

/// <summary>
/// Issue 17 point 2 with a real client library: Duende.IdentityModel reads dpop_signing_alg_values_supported, sends
/// the proof on the token request (ProtocolRequest.DPoPProofToken), reads the server's DPoP-Nonce
/// (ProtocolResponse.DPoPNonce) and calls the ResourceApi with SetDPoPToken. The proofs themselves are made by
/// TestSupport.DPoPKey (Microsoft.IdentityModel): Duende's DPoPProofTokenFactory ships in
/// Duende.IdentityModel.OidcClient.Extensions, which the package mirror does not serve.
/// </summary>
public sealed class DPoPTests
{
    [Test]
    public async Task Duende_identity_model_gets_a_dpop_token_and_calls_the_resource_api_with_it()
    {
        using var key = DPoPKey.Ec();
        using var http = Ecosystem.Certificate.TrustingClient();
        var disco = await http.GetDiscoveryDocumentAsync(Ecosystem.Issuer);
        Assert.That(disco.IsError, Is.False, disco.Error);
        Assert.That(disco.DPoPSigningAlgorithmsSupported, Does.Contain("ES256"));

        var token = await http.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest
        {
            Address = disco.TokenEndpoint, ClientId = Ecosystem.Application.ClientId, ClientSecret = Ecosystem.Application.Secret,
            Scope = "metric:read", DPoPProofToken = key.Proof("POST", disco.TokenEndpoint!),
        });
        Assert.That(token.IsError, Is.False, token.Error + " " + token.ErrorDescription);

        using var api = Ecosystem.Api.CreateClient();
        var graphql = new Uri(api.BaseAddress!, "/graphql").ToString();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = JsonContent.Create(new { query = ResourceApiCall.ListMetrics }),
        };
        request.SetDPoPToken(token.AccessToken!, key.Proof("POST", graphql, token.AccessToken));
        using var response = await api.SendAsync(request);

        // The same token as Bearer is refused: it is bound to the key.
        var (bearerStatus, _) = await ResourceApiCall.QueryAsync(api, token.AccessToken!);
        Assert.Multiple(() =>
        {
            Assert.That(token.TokenType, Is.EqualTo("DPoP"));
            Assert.That(token.DPoPNonce, Is.Not.Null.And.Not.Empty);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(bearerStatus, Is.EqualTo(HttpStatusCode.Unauthorized));
        });
    }
}
