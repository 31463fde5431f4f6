using System.Net;
using System.Text.Json;
using Security.Tests.Infrastructure;
using TestSupport;
using TokenService.Token;

namespace Security.Tests.Limits;

/// <summary>
/// Issue 6 point 4: 429 with Retry-After on the token endpoint (per client id and per client address), on
/// introspection (client authentication shares the limiter) and on the login form; the warm client is never held back.
/// </summary>
[Category("Timing")]
public sealed class RateLimitTests
{
    private SecurityStack stack = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => stack = await SecurityStack.StartAsync("ratelimit");

    [OneTimeTearDown]
    public async Task StopAsync() => await stack.DisposeAsync();

    private async Task<HttpResponseMessage> PostAsync(string path, string address, params (string, string)[] form)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new FormUrlEncodedContent(form.Select(p => KeyValuePair.Create(p.Item1, p.Item2))),
        };
        request.Headers.Add(TestAddress.Header, address);
        return await stack.TokenClient.SendAsync(request);
    }

    private static async Task AssertSlowDownAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests), body);
            Assert.That(response.Headers.RetryAfter?.Delta, Is.GreaterThan(TimeSpan.Zero));
            Assert.That(JsonDocument.Parse(body).RootElement.GetProperty("error").GetString(), Is.EqualTo("slow_down"));
            Assert.That(response.Headers.CacheControl?.NoStore, Is.True);
        });
    }

    [Test]
    public async Task Token_endpoint_limits_failures_per_client_id_and_spares_the_warm_client()
    {
        var (clientId, secret) = await stack.CreateApplicationAsync("metric:query");
        await stack.TokenAsync(clientId, secret);
        // From a different address each time: only the per-client counter can trip.
        for (var i = 0; i < FailedAuthenticationLimiter.MaxFailuresPerClient; i++)
        {
            using var wrong = await PostAsync("/oauth2/token", $"10.1.0.{i + 1}", ("grant_type", "client_credentials"), ("client_id", clientId),
                ("client_secret", "wrong"));
            Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        }

        using var limited = await PostAsync("/oauth2/token", "10.1.1.1", ("grant_type", "client_credentials"), ("client_id", clientId), ("client_secret", "wrong"));
        await AssertSlowDownAsync(limited);
        using var warm = await PostAsync("/oauth2/token", "10.1.1.2", ("grant_type", "client_credentials"), ("client_id", clientId), ("client_secret", secret));
        Assert.That(warm.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the proven secret skips the limiter");
    }

    [Test]
    public async Task Token_endpoint_limits_failures_per_address()
    {
        var address = "10.2.0.1";
        for (var i = 0; i < FailedAuthenticationLimiter.MaxFailuresPerAddress; i++)
        {
            using var wrong = await PostAsync("/oauth2/token", address, ("grant_type", "client_credentials"), ("client_id", $"spray-{i}"), ("client_secret", "x"));
            Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        }

        using var limited = await PostAsync("/oauth2/token", address, ("grant_type", "client_credentials"), ("client_id", "spray-next"), ("client_secret", "x"));
        using var elsewhere = await PostAsync("/oauth2/token", "10.2.0.2", ("grant_type", "client_credentials"), ("client_id", "spray-next"), ("client_secret", "x"));
        await AssertSlowDownAsync(limited);
        Assert.That(elsewhere.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "another address is not held back");
    }

    [Test]
    public async Task Introspection_limits_failed_client_authentication()
    {
        var (clientId, _) = await stack.CreateApplicationAsync("metric:query");
        HttpResponseMessage? last = null;
        for (var i = 0; i <= FailedAuthenticationLimiter.MaxFailuresPerClient; i++)
        {
            last?.Dispose();
            last = await PostAsync("/oauth2/introspect", $"10.3.0.{i + 1}", ("token", "x"), ("client_id", clientId), ("client_secret", "wrong"));
        }

        await AssertSlowDownAsync(last!);
        last!.Dispose();
    }

    [Test]
    public async Task Login_form_limits_wrong_passwords_with_429_and_retry_after()
    {
        var user = await stack.CreateUserAppAsync();
        using var browser = stack.CreateBrowser();
        browser.DefaultRequestHeaders.Add(TestAddress.Header, "10.4.0.1");
        var refusedBeforeLimit = 0;
        for (var i = 0; i < TokenService.Authorize.LoginThrottle.FailuresPerUsername; i++)
        {
            var (wrong, _) = await UserSignIn.SubmitLoginAsync(browser, user.ClientId, user.Username, "wrong-password");
            using (wrong)
            {
                refusedBeforeLimit += wrong.StatusCode == HttpStatusCode.OK ? 1 : 0;
            }
        }

        var (limited, _) = await UserSignIn.SubmitLoginAsync(browser, user.ClientId, user.Username, user.Password);
        using (limited)
        {
            Assert.Multiple(() =>
            {
                Assert.That(refusedBeforeLimit, Is.EqualTo(TokenService.Authorize.LoginThrottle.FailuresPerUsername), "wrong passwords re-show the form");
                Assert.That(limited.StatusCode, Is.EqualTo(HttpStatusCode.TooManyRequests), "even the right password waits once the budget is spent");
                Assert.That(limited.Headers.RetryAfter?.Delta, Is.GreaterThan(TimeSpan.Zero));
            });
        }
    }
}
