using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using ResourceApi.Tests.Infrastructure;
using TestSupport;

namespace ResourceApi.Tests.Lifecycle;

/// <summary>
/// Issue 5 point 4: a revocation at the TokenService reaches the ResourceApi (which polls the revocation feed) within
/// 5 s, although the access tokens are stateless JWTs that have not expired. Each test measures and prints the delay.
/// </summary>
public sealed class RevocationPropagationTests
{
    private const string Query = "{ __typename }";
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(5);

    /// <summary>Polls the API until it answers 401; the time from <paramref name="since"/> to that answer.</summary>
    internal static async Task<TimeSpan?> TimeUntilRefusedAsync(HttpClient api, string token, Stopwatch since, TimeSpan limit)
    {
        while (since.Elapsed < limit + TimeSpan.FromSeconds(2))
        {
            var call = await GraphQLCall.PostAsync(api, Query, token);
            if (call.Status == HttpStatusCode.Unauthorized)
            {
                Assert.That(call.WwwAuthenticate, Does.Contain("invalid_token"));
                return since.Elapsed;
            }

            await Task.Delay(50);
        }

        return null;
    }

    internal static async Task<HttpStatusCode> StatusAsync(HttpClient api, string token) => (await GraphQLCall.PostAsync(api, Query, token)).Status;

    private static async Task<(string Id, string Secret, string Token)> FreshTokenAsync()
    {
        var (id, secret) = await Fixture.TokenService.CreateApplicationAsync(null, "metric:query");
        return (id, secret, await TokenServiceHost.GetTokenAsync(Fixture.TokenClient, id, secret));
    }

    private static void Report(string what, TimeSpan? delay) =>
        TestContext.Out.WriteLine($"{what}: refused by the ResourceApi after {delay?.TotalMilliseconds:F0} ms");

    [Test]
    public async Task A_revoked_access_token_is_refused_within_five_seconds()
    {
        var (id, secret, token) = await FreshTokenAsync();
        Assert.That(await StatusAsync(Fixture.ApiClient, token), Is.EqualTo(HttpStatusCode.OK));
        var clock = Stopwatch.StartNew();
        using (var revoke = await Fixture.TokenClient.PostAsync("/oauth2/revoke", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = token, ["client_id"] = id, ["client_secret"] = secret,
        })))
        {
            Assert.That(revoke.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        var delay = await TimeUntilRefusedAsync(Fixture.ApiClient, token, clock, Limit);
        Report("revoked token", delay);
        Assert.That(delay, Is.Not.Null.And.LessThan(Limit));
    }

    [Test]
    public async Task Tokens_of_a_deleted_application_are_refused_within_five_seconds()
    {
        var (id, _, token) = await FreshTokenAsync();
        Assert.That(await StatusAsync(Fixture.ApiClient, token), Is.EqualTo(HttpStatusCode.OK));
        var clock = Stopwatch.StartNew();
        await Fixture.TokenService.Services.GetRequiredService<TokenService.Applications.Applications>().DeleteAsync(id, default);
        var delay = await TimeUntilRefusedAsync(Fixture.ApiClient, token, clock, Limit);
        Report("deleted application", delay);
        Assert.That(delay, Is.Not.Null.And.LessThan(Limit));
    }

    [Test]
    public async Task Tokens_from_before_a_secret_rotation_are_refused_within_five_seconds_of_the_grace_period_ending()
    {
        var (id, _, token) = await FreshTokenAsync();
        await Task.Delay(1100); // iat has whole seconds: a token from the rotation's own second counts as older.
        var grace = TimeSpan.FromSeconds(2);
        var rotated = await Fixture.TokenService.Services.GetRequiredService<TokenService.Applications.Applications>()
            .RotateSecretAsync(id, grace, default);
        var clock = Stopwatch.StartNew();
        var fresh = await TokenServiceHost.GetTokenAsync(Fixture.TokenClient, id, rotated!.Secret!);
        Assert.That(await StatusAsync(Fixture.ApiClient, token), Is.EqualTo(HttpStatusCode.OK), "the old token lives through the grace period");
        var delay = await TimeUntilRefusedAsync(Fixture.ApiClient, token, clock, grace + Limit);
        var afterGrace = DateTime.UtcNow - rotated.PreviousSecretExpiresAt!.Value;
        TestContext.Out.WriteLine($"rotated-out secret: refused by the ResourceApi {afterGrace.TotalMilliseconds:F0} ms after its 2 s grace period ended");
        Assert.Multiple(async () =>
        {
            Assert.That(delay, Is.Not.Null);
            Assert.That(afterGrace, Is.LessThan(Limit));
            Assert.That(await StatusAsync(Fixture.ApiClient, fresh), Is.EqualTo(HttpStatusCode.OK), "a token from the new secret lives on");
        });
    }
}
