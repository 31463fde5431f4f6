using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using ResourceApi.Tests.Infrastructure;
using Shared.Protocol;
using TestSupport;
using TokenService.Keys;

namespace ResourceApi.Tests;

/// <summary>
/// Key rotation without a restart: a running ResourceApi that has cached the JWKS accepts a token signed by a key
/// added afterwards, because the unknown kid triggers a (rate-limited) refresh. Its own TokenService and database,
/// so the rotation does not disturb other tests.
/// </summary>
public sealed class JwksRotationTests
{
    /// <param name="algorithm">The new key's (issue 17 point 6: a rotation may change the algorithm); null: the default, RS256.</param>
    [TestCase(null)]
    [TestCase(SigningAlgorithms.ES256)]
    [TestCase(SigningAlgorithms.PS256)]
    public async Task Token_signed_by_a_new_key_is_accepted_by_an_already_running_api(string? algorithm)
    {
        var database = await PostgresServer.CreateDatabaseAsync("rotation" + algorithm?.ToLowerInvariant());
        var (tokens, issuer, tokenClient) = await LoopbackTokenService.StartAsync(database);
        await using var _ = tokens;
        using var __ = tokenClient;
        await using var api = new ResourceApiHost(database, issuer);
        using var client = api.CreateClient();
        var (id, secret) = await tokens.CreateApplicationAsync(null, Scopes.MetricRead);
        const string query = "{ metrics(first: 1) { edges { cursor } } }";

        var oldToken = await TokenServiceHost.GetTokenAsync(tokenClient, id, secret);
        Assert.That((await GraphQLCall.PostAsync(client, query, oldToken)).Status, Is.EqualTo(HttpStatusCode.OK), "the API has loaded the first JWKS");

        // What `TokenService keys rotate --lead-seconds 0` does, then the reload every instance runs periodically.
        await tokens.Services.GetRequiredService<SigningKeyStore>().AddAsync(TimeSpan.Zero, default, algorithm: algorithm);
        await tokens.Services.GetRequiredService<KeyRingRefresher>().ReloadAsync(default);
        var newToken = await TokenServiceHost.GetTokenAsync(tokenClient, id, secret);
        Assert.That(new JsonWebToken(newToken).Kid, Is.Not.EqualTo(new JsonWebToken(oldToken).Kid), "the new key signs");
        Assert.That(new JsonWebToken(newToken).Alg, Is.EqualTo(algorithm ?? SigningAlgorithms.RS256));

        // The refresh on an unknown kid runs in the background and is rate limited (1 s in tests), so allow a few tries.
        var status = HttpStatusCode.Unused;
        for (var attempt = 0; attempt < 40 && status != HttpStatusCode.OK; attempt++)
        {
            status = (await GraphQLCall.PostAsync(client, query, newToken)).Status;
            if (status != HttpStatusCode.OK)
            {
                await Task.Delay(250);
            }
        }

        Assert.Multiple(async () =>
        {
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That((await GraphQLCall.PostAsync(client, query, oldToken)).Status, Is.EqualTo(HttpStatusCode.OK), "the old key is still published");
        });
    }
}
