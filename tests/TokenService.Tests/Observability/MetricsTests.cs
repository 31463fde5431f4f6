using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using TestSupport;
using TokenService.Token;

namespace TokenService.Tests.Observability;

/// <summary>
/// /metrics is what Prometheus scrapes: after real token requests the TokenService's counters carry exactly what
/// happened. Values are compared before and after, so the test holds whatever ran earlier in the same host.
/// </summary>
public sealed partial class MetricsTests
{
    private TokenServiceHost host = null!;
    private HttpClient client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("metrics"));
        client = await host.CreateReadyClientAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        client.Dispose();
        await host.DisposeAsync();
    }

    private async Task<HttpResponseMessage> TokenAsync(string id, string secret) =>
        await client.PostAsync("/oauth2/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = id, ["client_secret"] = secret,
        }));

    private async Task<Scrape> ScrapeAsync()
    {
        // The exporter answers repeated scrapes within 300 ms from a cache (a guard against scrape floods).
        await Task.Delay(350);
        using var response = await client.GetAsync("/metrics");
        Assert.That(response.IsSuccessStatusCode, Is.True, "GET /metrics");
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/plain"));
        return new Scrape(await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task A_token_request_counts_one_token_issued_for_its_grant()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:read");
        var before = await ScrapeAsync();
        using (var response = await TokenAsync(id, secret))
        {
            Assert.That(response.IsSuccessStatusCode, Is.True);
        }

        var after = await ScrapeAsync();
        Assert.That(after.Value("tokenservice_tokens_issued_total", "grant_type", "client_credentials") -
                    before.Value("tokenservice_tokens_issued_total", "grant_type", "client_credentials"), Is.EqualTo(1));
    }

    [Test]
    public async Task A_wrong_secret_counts_one_invalid_client_failure_and_one_failed_argon2_verification()
    {
        var (id, _) = await host.CreateApplicationAsync(null, "metric:read");
        var before = await ScrapeAsync();
        using (var response = await TokenAsync(id, "tss_wrong"))
        {
            Assert.That((int)response.StatusCode, Is.EqualTo(401));
        }

        var after = await ScrapeAsync();
        Assert.Multiple(() =>
        {
            Assert.That(after.Value("tokenservice_token_failures_total", "error", "invalid_client") -
                        before.Value("tokenservice_token_failures_total", "error", "invalid_client"), Is.EqualTo(1));
            Assert.That(after.Value("tokenservice_argon2_verification_duration_seconds_count", "result", "failure") -
                        before.Value("tokenservice_argon2_verification_duration_seconds_count", "result", "failure"), Is.EqualTo(1));
            Assert.That(after.Value("tokenservice_tokens_issued_total", "grant_type", "client_credentials") -
                        before.Value("tokenservice_tokens_issued_total", "grant_type", "client_credentials"), Is.Zero);
        });
    }

    [Test]
    public async Task The_second_request_with_the_same_secret_is_a_credential_cache_hit_without_argon2()
    {
        var (id, secret) = await host.CreateApplicationAsync(null, "metric:read");
        var before = await ScrapeAsync();
        (await TokenAsync(id, secret)).Dispose();
        (await TokenAsync(id, secret)).Dispose();
        var after = await ScrapeAsync();
        Assert.Multiple(() =>
        {
            Assert.That(after.Value("tokenservice_credential_cache_lookups_total", "result", "miss") -
                        before.Value("tokenservice_credential_cache_lookups_total", "result", "miss"), Is.EqualTo(1));
            Assert.That(after.Value("tokenservice_credential_cache_lookups_total", "result", "hit") -
                        before.Value("tokenservice_credential_cache_lookups_total", "result", "hit"), Is.EqualTo(1));
            Assert.That(after.Value("tokenservice_argon2_verification_duration_seconds_count", "result", "success") -
                        before.Value("tokenservice_argon2_verification_duration_seconds_count", "result", "success"), Is.EqualTo(1));
            Assert.That(after.Value("tokenservice_tokens_issued_total", "grant_type", "client_credentials") -
                        before.Value("tokenservice_tokens_issued_total", "grant_type", "client_credentials"), Is.EqualTo(2));
        });
    }

    [Test]
    public async Task Requests_over_the_failure_limit_count_as_rate_limited()
    {
        var (id, _) = await host.CreateApplicationAsync(null, "metric:read");
        // The limit's earlier failures are recorded directly: 20 real ones would cost 20 Argon2id runs, longer than the window.
        var limiter = host.Services.GetRequiredService<FailedAuthenticationLimiter>();
        for (var i = 0; i < FailedAuthenticationLimiter.MaxFailuresPerClient; i++)
        {
            limiter.RecordFailure(id, null);
        }

        var before = await ScrapeAsync();
        var limited = 0;
        for (var i = 0; i < 2; i++)
        {
            using var response = await TokenAsync(id, "tss_wrong");
            limited += (int)response.StatusCode == 429 ? 1 : 0;
        }

        var after = await ScrapeAsync();
        Assert.Multiple(() =>
        {
            Assert.That(limited, Is.EqualTo(2));
            Assert.That(after.Value("tokenservice_rate_limited_total") - before.Value("tokenservice_rate_limited_total"), Is.EqualTo(2));
            Assert.That(after.Value("tokenservice_token_failures_total", "error", "slow_down") -
                        before.Value("tokenservice_token_failures_total", "error", "slow_down"), Is.EqualTo(2));
        });
    }

    [Test]
    public async Task Scrape_includes_aspnetcore_runtime_and_npgsql_instruments()
    {
        (await client.GetAsync("/readyz")).Dispose();
        var scrape = await ScrapeAsync();
        Assert.Multiple(() =>
        {
            Assert.That(scrape.Text, Does.Contain("http_server_request_duration_seconds"));
            Assert.That(scrape.Text, Does.Contain("dotnet_gc_collections_total").Or.Contain("process_runtime_dotnet_gc_collections_count"));
            Assert.That(scrape.Text, Does.Contain("db_client_"));
        });
    }

    /// <summary>One Prometheus text exposition: sums every sample of a metric whose labels include the given one.</summary>
    private sealed partial class Scrape(string text)
    {
        public string Text { get; } = text;

        public double Value(string metric, string? label = null, string? value = null)
        {
            double sum = 0;
            foreach (Match m in Sample().Matches(Text))
            {
                if (m.Groups["name"].Value != metric)
                {
                    continue;
                }

                if (label is not null && !m.Groups["labels"].Value.Contains($"{label}=\"{value}\"", StringComparison.Ordinal))
                {
                    continue;
                }

                sum += double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
            }

            return sum;
        }

        [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>\S+)", RegexOptions.Multiline)]
        private static partial Regex Sample();
    }
}
