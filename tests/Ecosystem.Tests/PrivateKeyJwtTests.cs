using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Duende.IdentityModel;
using Duende.IdentityModel.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Identity.Client;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using TokenService.Applications;

namespace Ecosystem.Tests;

/// <summary>
/// Issue 17 point 1 with real client libraries: private_key_jwt from Duende.IdentityModel (ClientAssertion on the
/// token request) and from MSAL (WithCertificate: MSAL signs the assertion itself), against our discovery document.
/// </summary>
public sealed class PrivateKeyJwtTests
{
    private static async Task<string> RegisterAsync(RSA key, string kid)
    {
        var p = key.ExportParameters(false);
        var jwks = JsonSerializer.SerializeToElement(new
        {
            keys = new[]
            {
                new { kty = "RSA", kid, use = "sig", n = Base64UrlEncoder.Encode(p.Modulus), e = Base64UrlEncoder.Encode(p.Exponent) },
            },
        });
        var applications = Ecosystem.TokenService.Services.GetRequiredService<Applications>();
        var (created, error) = await applications.CreateAsync("pkjwt-" + Guid.NewGuid().ToString("N")[..8], "", ["metric:read"], null, null,
            new TokenSettings(TokenEndpointAuthMethod: "private_key_jwt", Jwks: jwks), default);
        Assert.That(error, Is.Null, error?.Message);
        return created!.ClientId;
    }

    [Test]
    public async Task Duende_identity_model_gets_a_token_with_a_signed_client_assertion_and_calls_the_resource_api()
    {
        using var key = RSA.Create(2048);
        var clientId = await RegisterAsync(key, "duende-1");
        using var http = Ecosystem.Certificate.TrustingClient();
        var disco = await http.GetDiscoveryDocumentAsync(Ecosystem.Issuer);
        Assert.That(disco.IsError, Is.False, disco.Error);
        Assert.That(disco.TokenEndpointAuthenticationMethodsSupported, Does.Contain("private_key_jwt"));

        var now = DateTime.UtcNow;
        var assertion = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = clientId, Audience = disco.TokenEndpoint, IssuedAt = now, NotBefore = now, Expires = now.AddMinutes(1),
            Claims = new Dictionary<string, object> { ["sub"] = clientId, ["jti"] = Guid.NewGuid().ToString("N") },
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(key) { KeyId = "duende-1" }, SecurityAlgorithms.RsaSsaPssSha256),
        });
        var token = await http.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest
        {
            Address = disco.TokenEndpoint, ClientId = clientId, Scope = "metric:read",
            ClientCredentialStyle = ClientCredentialStyle.PostBody,
            ClientAssertion = new ClientAssertion { Type = OidcConstants.ClientAssertionTypes.JwtBearer, Value = assertion },
        });
        Assert.That(token.IsError, Is.False, token.Error + " " + token.ErrorDescription);

        // The same assertion again is a replay (RFC 7523 s.3 item 7).
        var replay = await http.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest
        {
            Address = disco.TokenEndpoint, ClientId = clientId, ClientCredentialStyle = ClientCredentialStyle.PostBody,
            ClientAssertion = new ClientAssertion { Type = OidcConstants.ClientAssertionTypes.JwtBearer, Value = assertion },
        });

        using var api = Ecosystem.Api.CreateClient();
        var (status, body) = await ResourceApiCall.QueryAsync(api, token.AccessToken!);
        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body.ToString());
            Assert.That(replay.HttpStatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(replay.Raw, Does.Contain("\"invalid_client\""));
        });
    }

    [Test]
    public async Task Msal_with_a_certificate_signs_its_own_assertion_and_gets_a_token()
    {
        using var key = RSA.Create(2048);
        var clientId = await RegisterAsync(key, "msal-1");
        var request = new CertificateRequest("CN=msal-client", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var app = ConfidentialClientApplicationBuilder.Create(clientId)
            .WithCertificate(certificate)
            .WithOidcAuthority(Ecosystem.Issuer)
            .WithHttpClientFactory(new TrustingHttpClientFactory())
            .Build();
        var result = await app.AcquireTokenForClient(["metric:read"]).ExecuteAsync();
        Assert.Multiple(() =>
        {
            Assert.That(result.TokenType, Is.EqualTo("Bearer"));
            Assert.That(new JsonWebToken(result.AccessToken).Subject, Is.EqualTo(clientId));
        });
    }

    private sealed class TrustingHttpClientFactory : IMsalHttpClientFactory
    {
        private readonly HttpClient client = Ecosystem.Certificate.TrustingClient();

        public HttpClient GetHttpClient() => client;
    }
}
