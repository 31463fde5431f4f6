using System.Net;
using System.Net.Http.Headers;
using ResourceApi.Tests.Infrastructure;
using Shared.Protocol;

namespace ResourceApi.Tests;

/// <summary>RFC 6750 s.3.1: every 401 and its exact WWW-Authenticate header; the 403 cases live in ScopePolicyTableTests.</summary>
public sealed class ChallengeTests
{
    private const string Query = "{ counter(metric: \"order_count\") { value } }";

    private const string InvalidToken = "Bearer error=\"invalid_token\"";

    [Test]
    public async Task No_credentials_get_a_bare_bearer_challenge()
    {
        var call = await Fixture.QueryAsync(Query, null);
        Assert.Multiple(() =>
        {
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(call.WwwAuthenticate, Is.EqualTo("Bearer"));
            Assert.That(call.Errors, Has.Count.EqualTo(1));
        });
    }

    [TestCase("expired", TestName = "Expired_token_is_invalid_token")]
    [TestCase("not-yet-valid", TestName = "Token_not_yet_valid_is_invalid_token")]
    [TestCase("wrong-audience", TestName = "Token_for_another_audience_is_invalid_token")]
    [TestCase("no-audience", TestName = "Token_without_audience_is_invalid_token")]
    [TestCase("wrong-issuer", TestName = "Token_from_another_issuer_is_invalid_token")]
    [TestCase("typ-jwt", TestName = "Token_typed_JWT_rather_than_at_jwt_is_invalid_token")]
    [TestCase("foreign-key", TestName = "Token_signed_by_an_unknown_key_is_invalid_token")]
    [TestCase("tampered", TestName = "Token_with_a_tampered_payload_is_invalid_token")]
    [TestCase("garbage", TestName = "Garbage_bearer_value_is_invalid_token")]
    [TestCase("alg-none", TestName = "Unsigned_token_is_invalid_token")]
    public async Task Bad_bearer_token_is_401_invalid_token(string kind)
    {
        var call = await Fixture.QueryAsync(Query, Forge(kind));
        Assert.Multiple(() =>
        {
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(call.WwwAuthenticate, Is.EqualTo(InvalidToken));
            Assert.That(call.Errors.Single().GetProperty("extensions").GetProperty("code").GetString(), Is.EqualTo(OAuthErrors.InvalidToken));
        });
    }

    [Test]
    public async Task Token_expired_within_the_clock_skew_is_still_accepted()
    {
        var call = await Fixture.QueryAsync(Query, TokenForge.Create(Fixture.TokenService, Fixture.Issuer, expiresIn: TimeSpan.FromSeconds(-10)));
        Assert.That(call.Status, Is.EqualTo(HttpStatusCode.OK), call.ToString());
    }

    [Test]
    public async Task Well_formed_forged_token_signed_by_the_real_key_is_accepted()
    {
        // The control for the rows above: only the one named difference makes them fail.
        var call = await Fixture.QueryAsync(Query, Forge("good"));
        Assert.That(call.Status, Is.EqualTo(HttpStatusCode.OK), call.ToString());
    }

    [TestCase("Basic !!!notbase64")]
    [TestCase("Basic Zm9vYmFy")]
    public async Task Malformed_basic_credentials_are_invalid_token(string header)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = new StringContent("{\"query\":\"{ __typename }\"}") };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("Authorization", header);
        using var response = await Fixture.ApiClient.SendAsync(request);
        var call = await GraphQLCall.ReadAsync(response);
        Assert.Multiple(() =>
        {
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(call.WwwAuthenticate, Is.EqualTo(InvalidToken));
        });
    }

    [Test]
    public async Task Unknown_authorization_scheme_is_treated_as_no_credentials()
    {
        var call = await GraphQLCall.SendAsync(Fixture.ApiClient, Query, new AuthenticationHeaderValue("Digest", "abc"));
        Assert.That(call.WwwAuthenticate, Is.EqualTo("Bearer"));
    }

    private static string Forge(string kind)
    {
        var (host, issuer) = (Fixture.TokenService, Fixture.Issuer);
        return kind switch
        {
            "good" => TokenForge.Create(host, issuer),
            "expired" => TokenForge.Create(host, issuer, expiresIn: TimeSpan.FromMinutes(-5)),
            "not-yet-valid" => TokenForge.Create(host, issuer, notBeforeIn: TimeSpan.FromMinutes(5), expiresIn: TimeSpan.FromMinutes(10)),
            "wrong-audience" => TokenForge.Create(host, issuer, audience: "another-api"),
            "no-audience" => TokenForge.Create(host, issuer, audience: null),
            "wrong-issuer" => TokenForge.Create(host, issuer, issuerOverride: "http://127.0.0.1:1"),
            "typ-jwt" => TokenForge.Create(host, issuer, type: "JWT"),
            "foreign-key" => TokenForge.Create(host, issuer, foreignKey: true),
            "tampered" => Tamper(TokenForge.Create(host, issuer, scope: Scopes.MetricRead)),
            "alg-none" => Unsigned(TokenForge.Create(host, issuer)),
            _ => "not-a-jwt",
        };
    }

    /// <summary>Swaps the payload for one granting admin, keeping the original signature.</summary>
    private static string Tamper(string jwt)
    {
        var parts = jwt.Split('.');
        var payload = Base64UrlDecode(parts[1]).Replace(Scopes.MetricRead, Scopes.Admin, StringComparison.Ordinal);
        return $"{parts[0]}.{Base64UrlEncode(payload)}.{parts[2]}";
    }

    private static string Unsigned(string jwt)
    {
        var parts = jwt.Split('.');
        return $"{Base64UrlEncode("{\"alg\":\"none\",\"typ\":\"at+jwt\"}")}.{parts[1]}.";
    }

    private static string Base64UrlDecode(string value) =>
        System.Text.Encoding.UTF8.GetString(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.DecodeBytes(value));

    private static string Base64UrlEncode(string value) => Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Encode(value);
}
