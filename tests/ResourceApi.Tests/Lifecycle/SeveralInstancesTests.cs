using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using ResourceApi.Auth;
using ResourceApi.Tests.Infrastructure;
using TestSupport;
using TokenService.Keys;

namespace ResourceApi.Tests.Lifecycle;

/// <summary>
/// Issue 5 points 5 and 6: two TokenService instances on one database (two ports, one issuer, one KEK) and a
/// ResourceApi that reads the JWKS from the first. A key rotated on one instance is picked up by both, and the API
/// accepts every token across the rotation; a revocation made on one is honoured by the other and by the API.
/// </summary>
public sealed class SeveralInstancesTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(5);

    private TokenServiceHost first = null!;
    private TokenServiceHost second = null!;
    private HttpClient firstClient = null!;
    private HttpClient secondClient = null!;
    private ResourceApiHost api = null!;
    private HttpClient apiClient = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync("instances");
        Uri issuer;
        (first, issuer, firstClient) = await LoopbackTokenService.StartAsync(connectionString);
        second = new TokenServiceHost(connectionString, new Dictionary<string, string?>
        {
            ["Issuer"] = issuer.ToString().TrimEnd('/'), ["KEY_ENCRYPTION_KEY"] = first.KeyEncryptionKey,
        });
        second.StartOnLoopback();
        secondClient = await second.CreateReadyClientAsync();
        api = new ResourceApiHost(connectionString, issuer);
        apiClient = api.CreateClient();
        for (var i = 0; i < 100 && !api.Services.GetRequiredService<RevocationPoller>().Synchronised; i++)
        {
            await Task.Delay(50);
        }
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        apiClient.Dispose();
        await api.DisposeAsync();
        secondClient.Dispose();
        firstClient.Dispose();
        await second.DisposeAsync();
        await first.DisposeAsync();
    }

    [Test]
    public async Task Tokens_from_both_instances_validate_at_the_api_across_a_key_rotation()
    {
        var (id, secret) = await first.CreateApplicationAsync(null, "metric:query");
        var oldKid = first.Services.GetRequiredService<KeyRing>().Current!.SigningKid;
        var lead = TimeSpan.FromSeconds(3);
        var added = await first.Services.GetRequiredService<SigningKeyStore>().AddAsync(lead, default);
        var clock = Stopwatch.StartNew();
        var refused = new List<string>();
        var kids = new HashSet<string>();
        while (clock.Elapsed < lead + TimeSpan.FromSeconds(3))
        {
            foreach (var instance in new[] { firstClient, secondClient })
            {
                var token = await TokenServiceHost.GetTokenAsync(instance, id, secret);
                kids.Add(new JsonWebToken(token).Kid);
                var status = await RevocationPropagationTests.StatusAsync(apiClient, token);
                if (status != HttpStatusCode.OK)
                {
                    refused.Add($"{status} at {clock.Elapsed.TotalSeconds:F1}s kid {new JsonWebToken(token).Kid}");
                }
            }

            await Task.Delay(200);
        }

        TestContext.Out.WriteLine($"signing kids seen across the rotation: {string.Join(", ", kids)}");
        Assert.Multiple(() =>
        {
            Assert.That(refused, Is.Empty, "a valid token was refused during the rotation");
            Assert.That(kids, Is.EquivalentTo(new[] { oldKid, added.Kid }), "both instances moved to the new key after the lead time");
            Assert.That(first.Services.GetRequiredService<KeyRing>().Current!.SigningKid, Is.EqualTo(added.Kid));
            Assert.That(second.Services.GetRequiredService<KeyRing>().Current!.SigningKid, Is.EqualTo(added.Kid));
        });
    }

    [Test]
    public async Task A_revocation_on_one_instance_is_honoured_by_the_other_and_by_the_api()
    {
        var (id, secret) = await first.CreateApplicationAsync(null, "metric:query");
        var token = await TokenServiceHost.GetTokenAsync(secondClient, id, secret);
        Assert.That(await RevocationPropagationTests.StatusAsync(apiClient, token), Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await ActiveAtSecondAsync(id, secret, token), Is.True);
        var clock = Stopwatch.StartNew();
        using (var revoke = await firstClient.PostAsync("/oauth2/revoke", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = token, ["client_id"] = id, ["client_secret"] = secret,
        })))
        {
            Assert.That(revoke.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        TimeSpan? atSecond = null;
        while (atSecond is null && clock.Elapsed < Limit)
        {
            atSecond = await ActiveAtSecondAsync(id, secret, token) ? null : clock.Elapsed;
        }

        var atApi = await RevocationPropagationTests.TimeUntilRefusedAsync(apiClient, token, clock, Limit);
        TestContext.Out.WriteLine($"revoked on instance 1: inactive at instance 2 after {atSecond?.TotalMilliseconds:F0} ms, " +
                                  $"refused by the ResourceApi after {atApi?.TotalMilliseconds:F0} ms");
        Assert.Multiple(() =>
        {
            Assert.That(atSecond, Is.Not.Null.And.LessThan(Limit));
            Assert.That(atApi, Is.Not.Null.And.LessThan(Limit));
        });
    }

    private async Task<bool> ActiveAtSecondAsync(string id, string secret, string token)
    {
        using var response = await secondClient.PostAsync("/oauth2/introspect", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = token, ["client_id"] = id, ["client_secret"] = secret,
        }));
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("active").GetBoolean();
    }
}
