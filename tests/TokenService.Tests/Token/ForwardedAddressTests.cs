using System.Net;
using Microsoft.Extensions.Configuration;
using TestSupport;
using TokenService.Token;

namespace TokenService.Tests.Token;

/// <summary>
/// Issue 12 point 4: the failure limits count per real caller. X-Forwarded-For is believed only from a configured
/// proxy (ForwardedHeaders:KnownProxies); by default nothing is trusted and the header changes nothing.
/// </summary>
public sealed class ForwardedAddressTests
{
    /// <summary>
    /// 20 wrong secrets at once, each claiming another end caller. One address may have only
    /// <see cref="FailedAuthenticationLimiter.MaxPendingPerAddress"/> verifications in flight, so if the claims are
    /// ignored most of the burst is refused with 429; if they are believed, each caller is alone and gets 401.
    /// </summary>
    private static async Task<HttpStatusCode[]> SprayAsync(IDictionary<string, string?> settings)
    {
        await using var host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("forwarded"), settings);
        host.StartOnLoopback();
        using var client = await host.CreateReadyClientAsync();
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var burst = Enumerable.Range(0, 20).Select(async i =>
        {
            await go.Task;
            using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth2/token")
            {
                Content = new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["grant_type"] = "client_credentials",
                    ["client_id"] = $"spray-{i}",
                    ["client_secret"] = "wrong",
                }),
            };
            request.Headers.Add("X-Forwarded-For", $"192.0.2.{i + 1}");
            using var response = await client.SendAsync(request);
            return response.StatusCode;
        }).ToList();
        go.SetResult();
        return await Task.WhenAll(burst);
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Forwarded_address_is_ignored_unless_the_peer_is_a_configured_proxy()
    {
        var statuses = await SprayAsync(new Dictionary<string, string?>());
        Assert.That(statuses.Count(s => s == HttpStatusCode.TooManyRequests), Is.GreaterThanOrEqualTo(10),
            "the burst was counted as one address: the header from an untrusted peer was ignored");
    }

    [Test]
    [CancelAfter(120_000)]
    public async Task Forwarded_address_from_a_configured_proxy_is_the_caller_the_limits_count()
    {
        var statuses = await SprayAsync(new Dictionary<string, string?> { ["ForwardedHeaders:KnownProxies:0"] = "127.0.0.1" });
        Assert.That(statuses, Is.All.EqualTo(HttpStatusCode.Unauthorized), "each forwarded caller has a budget of its own");
    }

    [Test]
    public void The_plain_setting_with_a_comma_separated_list_is_read_too()
    {
        // ForwardedHeaders__KnownProxies=... (no index) was silently ignored by the binder: nobody was trusted.
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(
            new Dictionary<string, string?>
            {
                ["ForwardedHeaders:KnownProxies"] = "127.0.0.1, 10.0.0.5", ["ForwardedHeaders:KnownNetworks"] = "10.1.0.0/16",
            }).Build();
        var options = new TokenServiceOptions();
        TokenServiceOptions.Bind(options, configuration);
        Assert.Multiple(() =>
        {
            Assert.That(options.ForwardedHeaders.Proxies().Select(p => p.ToString()), Is.EqualTo(new[] { "127.0.0.1", "10.0.0.5" }));
            Assert.That(options.ForwardedHeaders.Networks().Select(n => n.ToString()), Is.EqualTo(new[] { "10.1.0.0/16" }));
        });
    }

    [Test]
    public void A_proxy_entry_that_is_no_address_stops_the_start()
    {
        var problems = new Hosting.TrustedProxyOptions
        {
            KnownProxies = ["10.0.0.5", "proxy.example"],
            KnownNetworks = ["10.0.0.0/33"]
        }.Problems().ToList();
        Assert.That(problems, Has.Count.EqualTo(2));
    }
}
