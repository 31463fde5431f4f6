using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ResourceApi.Tests.Infrastructure;
using TestSupport;

namespace ResourceApi.Tests;

/// <summary>
/// Issue 17 point 2, the resource server side of DPoP (RFC 9449 s.7): a bound token is accepted only as
/// <c>Authorization: DPoP</c> with a proof of its key for this request (htm, htu, ath, fresh jti); anything else is
/// 401 with a <c>WWW-Authenticate: DPoP</c> challenge. Tokens are real, from the TokenService on loopback.
/// </summary>
public sealed class DPoPTests
{
    private const string Query = "{ counter(metric: \"order_count\") { value } }";
    private readonly DPoPKey key = DPoPKey.Ec();
    private string graphqlUrl = null!;
    private string token = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        graphqlUrl = new Uri(Fixture.ApiClient.BaseAddress!, "/graphql").ToString();
        token = await BoundTokenAsync(key);
    }

    [OneTimeTearDown]
    public void Stop() => key.Dispose();

    private static async Task<string> BoundTokenAsync(DPoPKey dpopKey)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth2/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials", ["client_id"] = Fixture.Application.ClientId,
                ["client_secret"] = Fixture.Application.Secret, ["scope"] = "metric:query",
            }),
        };
        request.Headers.Add("DPoP", dpopKey.Proof("POST", new Uri(Fixture.Issuer, "/oauth2/token").ToString()));
        using var response = await Fixture.TokenClient.SendAsync(request);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(body.GetProperty("token_type").GetString(), Is.EqualTo("DPoP"), body.ToString());
        return body.GetProperty("access_token").GetString()!;
    }

    private static async Task<GraphQLCall> CallAsync(string? authorization, params string[] proofs)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = JsonContent.Create(new { query = Query }) };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        foreach (var proof in proofs)
        {
            request.Headers.TryAddWithoutValidation("DPoP", proof);
        }

        using var response = await Fixture.ApiClient.SendAsync(request);
        return await GraphQLCall.ReadAsync(response);
    }

    private static void AssertRefused(GraphQLCall call, string error)
    {
        Assert.Multiple(() =>
        {
            Assert.That(call.Status, Is.EqualTo(HttpStatusCode.Unauthorized), call.ToString());
            Assert.That(call.WwwAuthenticate, Does.StartWith($"DPoP error=\"{error}\""));
            Assert.That(call.WwwAuthenticate, Does.EndWith("algs=\"RS256 PS256 ES256\""));
            Assert.That(call.Errors.Single().GetProperty("extensions").GetProperty("code").GetString(), Is.EqualTo(error));
        });
    }

    [Test]
    public async Task A_bound_token_with_a_proof_of_its_key_is_accepted()
    {
        var call = await CallAsync("DPoP " + token, key.Proof("POST", graphqlUrl, token));
        Assert.That(call.Status, Is.EqualTo(HttpStatusCode.OK), call.ToString());
    }

    [Test]
    public async Task The_scheme_name_is_case_insensitive()
    {
        var call = await CallAsync("dpop " + token, key.Proof("POST", graphqlUrl, token));
        Assert.That(call.Status, Is.EqualTo(HttpStatusCode.OK), call.ToString());
    }

    [Test]
    public async Task A_bound_token_presented_as_bearer_is_refused()
    {
        AssertRefused(await CallAsync("Bearer " + token), "invalid_token");
        AssertRefused(await CallAsync("Bearer " + token, key.Proof("POST", graphqlUrl, token)), "invalid_token");
    }

    [Test]
    public async Task A_proof_from_another_key_is_refused()
    {
        using var other = DPoPKey.Ec();
        AssertRefused(await CallAsync("DPoP " + token, other.Proof("POST", graphqlUrl, token)), "invalid_dpop_proof");
    }

    [Test]
    public async Task A_stolen_token_with_the_thiefs_own_bound_token_proof_is_refused()
    {
        // The thief has a bound token of its own and a proof for it: ath and jkt both give the mix-up away.
        using var thief = DPoPKey.Ec();
        var thiefsToken = await BoundTokenAsync(thief);
        AssertRefused(await CallAsync("DPoP " + token, thief.Proof("POST", graphqlUrl, thiefsToken)), "invalid_dpop_proof");
    }

    [Test]
    public async Task A_proof_without_ath_is_refused()
    {
        AssertRefused(await CallAsync("DPoP " + token, key.Proof("POST", graphqlUrl, token, withAth: false)), "invalid_dpop_proof");
    }

    [Test]
    public async Task A_proof_for_another_token_is_refused()
    {
        AssertRefused(await CallAsync("DPoP " + token, key.Proof("POST", graphqlUrl, token + "x")), "invalid_dpop_proof");
    }

    [Test]
    public async Task The_dpop_scheme_without_a_proof_is_refused()
    {
        AssertRefused(await CallAsync("DPoP " + token), "invalid_dpop_proof");
    }

    [Test]
    public async Task A_replayed_proof_is_refused()
    {
        var proof = key.Proof("POST", graphqlUrl, token);
        var first = await CallAsync("DPoP " + token, proof);
        Assert.That(first.Status, Is.EqualTo(HttpStatusCode.OK), first.ToString());
        AssertRefused(await CallAsync("DPoP " + token, proof), "invalid_dpop_proof");
    }

    [TestCase("wrong-htm", TestName = "Proof_for_another_method_is_refused_by_the_api")]
    [TestCase("wrong-htu", TestName = "Proof_for_another_path_is_refused_by_the_api")]
    [TestCase("old-iat", TestName = "Proof_made_two_minutes_ago_is_refused_by_the_api")]
    [TestCase("other-signer", TestName = "Proof_signed_by_another_key_than_its_jwk_is_refused_by_the_api")]
    [TestCase("trailing-newline", TestName = "Proof_with_a_trailing_newline_is_refused_by_the_api")]
    [TestCase("two-headers", TestName = "Two_proofs_are_refused_by_the_api")]
    public async Task A_bad_proof_is_refused(string kind)
    {
        using var other = DPoPKey.Ec();
        var proofs = kind switch
        {
            "wrong-htm" => [key.Proof("GET", graphqlUrl, token)],
            "wrong-htu" => [key.Proof("POST", graphqlUrl + "/other", token)],
            "old-iat" => [key.Proof("POST", graphqlUrl, token, issuedAt: DateTimeOffset.UtcNow.AddMinutes(-2))],
            "other-signer" => [key.Proof("POST", graphqlUrl, token, signWith: other)],
            "trailing-newline" => [key.Proof("POST", graphqlUrl, token) + "\n"],
            "two-headers" => new[] { key.Proof("POST", graphqlUrl, token), key.Proof("POST", graphqlUrl, token) },
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        AssertRefused(await CallAsync("DPoP " + token, proofs), "invalid_dpop_proof");
    }

    [Test]
    public async Task An_unbound_token_presented_as_dpop_is_refused()
    {
        var bearer = await Fixture.TokenAsync("metric:query");
        AssertRefused(await CallAsync("DPoP " + bearer, key.Proof("POST", graphqlUrl, bearer)), "invalid_token");
    }

    [Test]
    public async Task An_invalid_token_under_the_dpop_scheme_gets_a_dpop_challenge()
    {
        AssertRefused(await CallAsync("DPoP not-a-token", key.Proof("POST", graphqlUrl, "not-a-token")), "invalid_token");
    }

    [Test]
    public async Task Unbound_bearer_tokens_still_work()
    {
        var call = await Fixture.QueryAsync(Query, await Fixture.TokenAsync("metric:query"));
        Assert.That(call.Status, Is.EqualTo(HttpStatusCode.OK), call.ToString());
    }

    /// <summary>
    /// Over a real socket to Kestrel (the TokenService on loopback): the DPoP header line ends in a bare LF. HttpClient
    /// cannot send that at all. Kestrel either refuses the header block (400) or reads the line without the LF, and
    /// then the proof is the proof; never a 500, never a token bound to anything else.
    /// </summary>
    [Test]
    public async Task A_raw_dpop_header_ended_by_a_bare_newline_is_refused_or_read_exactly()
    {
        var proof = key.Proof("POST", new Uri(Fixture.Issuer, "/oauth2/token").ToString());
        var body = $"grant_type=client_credentials&client_id={Fixture.Application.ClientId}&client_secret=" +
                   Uri.EscapeDataString(Fixture.Application.Secret);
        var raw = $"POST /oauth2/token HTTP/1.1\r\nHost: {Fixture.Issuer.Authority}\r\n" +
                  $"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {body.Length}\r\nConnection: close\r\n" +
                  $"DPoP: {proof}\n\r\n{body}";
        using var socket = new TcpClient();
        await socket.ConnectAsync(Fixture.Issuer.Host, Fixture.Issuer.Port);
        var stream = socket.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(raw));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var response = await reader.ReadToEndAsync();
        var status = response.Split(' ', 3)[1];
        TestContext.Out.WriteLine(response.Split("\r\n")[0]);
        Assert.That(status, Is.EqualTo("400").Or.EqualTo("200"), response);
        if (status == "200")
        {
            var json = response[response.IndexOf('{', StringComparison.Ordinal)..(response.LastIndexOf('}') + 1)];
            var accessToken = JsonDocument.Parse(json).RootElement.GetProperty("access_token").GetString();
            var cnf = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(accessToken).GetPayloadValue<JsonElement>("cnf");
            Assert.That(cnf.GetProperty("jkt").GetString(), Is.EqualTo(key.Thumbprint()));
        }
    }
}
