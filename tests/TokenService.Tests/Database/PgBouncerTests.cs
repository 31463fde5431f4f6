using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Npgsql;
using Shared.Protocol;
using TestSupport;
using TokenService.Cli;
using TokenService.Tests.Authorize;

namespace TokenService.Tests.Database;

/// <summary>
/// Issue 18 point 2: both services work through pgbouncer in transaction mode. DATABASE_URL points at pgbouncer with a
/// pool of three server connections, so consecutive transactions of one client connection land on different server
/// connections and any session state (a SET, a prepared statement, a session advisory lock) would leak or be lost;
/// DIRECT_DATABASE_URL points at PostgreSQL itself for <c>migrate</c> and the LISTEN/NOTIFY listener. Two TokenService
/// instances share the database, so a change made through one must reach the other by NOTIFY.
/// </summary>
[NonParallelizable]
public sealed class PgBouncerTests
{
    private const int PoolSize = 3;
    private const string Redirect = "http://127.0.0.1:8765/callback";
    private static readonly string[] Tenants = ["acme", "globex", "initech"];

    private PgBouncer bouncer = null!;
    private string direct = null!;
    private string pooled = null!;
    private TokenServiceHost first = null!;
    private TokenServiceHost second = null!;
    private ResourceApiHost api = null!;
    private Uri issuer = null!;
    private HttpClient firstClient = null!;
    private HttpClient secondClient = null!;
    private HttpClient apiClient = null!;
    private (string Id, string Secret) reader;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        if (PgBouncer.Binary is null)
        {
            Assert.Ignore("pgbouncer is not installed: scripts/install-prerequisites.sh --browser installs it");
        }

        // Pooling off: the test's own direct connections close at once, so pg_stat_activity shows only the services'.
        direct = new NpgsqlConnectionStringBuilder(await PostgresServer.CreateDatabaseAsync("pgbouncer", migrate: false))
        {
            Pooling = false,
        }.ConnectionString;
        bouncer = await PgBouncer.StartAsync(direct, PoolSize);
        pooled = new NpgsqlConnectionStringBuilder(bouncer.ConnectionString(direct)) { Pooling = true }.ConnectionString;

        using var output = new StringWriter();
        var exit = await OpsCli.RunAsync(["migrate"], output, output, Settings());
        Assert.That(exit, Is.Zero, $"migrate: {output}\npgbouncer: {bouncer.Log}");

        var port = Loopback.FreePort();
        issuer = new Uri($"http://127.0.0.1:{port}");
        first = StartTokenService(port, null);
        firstClient = await first.CreateReadyClientAsync();
        // The second instance of the same deployment: same issuer and key-encryption key, its own caches.
        second = StartTokenService(Loopback.FreePort(), first.KeyEncryptionKey);
        secondClient = await second.CreateReadyClientAsync();

        api = new ResourceApiHost(pooled, issuer.ToString().TrimEnd('/'), null, Settings());
        apiClient = api.CreateClient();
        reader = await first.CreateApplicationAsync(null, Scopes.Admin, Scopes.MetricQuery);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        apiClient?.Dispose();
        firstClient?.Dispose();
        secondClient?.Dispose();
        if (api is not null)
        {
            await api.DisposeAsync();
        }

        if (first is not null)
        {
            await first.DisposeAsync();
        }

        if (second is not null)
        {
            await second.DisposeAsync();
        }

        if (bouncer is not null)
        {
            await bouncer.DisposeAsync();
        }
    }

    [Test]
    public async Task Client_credentials_token_is_issued_through_pgbouncer()
    {
        var (id, secret) = await first.CreateApplicationAsync(null, "metric:query");
        var token = await TokenServiceHost.GetTokenAsync(firstClient, id, secret);
        Assert.That(token.Split('.'), Has.Length.EqualTo(3), bouncer.Log);
    }

    [Test]
    public async Task Management_api_creates_an_application_and_a_rotated_secret_is_refused_on_the_other_instance()
    {
        using var admin = await first.CreateManagementClientAsync(firstClient);
        using var created = await admin.PostAsJsonAsync("/applications", new
        {
            name = "pgb-" + Guid.NewGuid().ToString("N")[..8],
            scopes = new[] { "metric:query" }
        });
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(created.StatusCode, Is.EqualTo(HttpStatusCode.Created), body.ToString());
        var id = body.GetProperty("clientId").GetString()!;
        var secret = body.GetProperty("secret").GetString()!;
        // The second instance verifies (and caches) the secret before the first one rotates it.
        await TokenServiceHost.GetTokenAsync(secondClient, id, secret);

        using var rotated = await admin.PostAsJsonAsync($"/applications/{id}/rotate-secret", new { gracePeriodSeconds = 0 });
        var fresh = (await rotated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;

        Assert.Multiple(async () =>
        {
            Assert.That(await TokenStatusAsync(firstClient, id, secret), Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(await TokenStatusAsync(firstClient, id, fresh), Is.EqualTo(HttpStatusCode.OK));
            // Only the NOTIFY (on the listener's direct connection) tells the second instance its cached secret is gone.
            Assert.That(await EventuallyRefusedAsync(secondClient, id, secret), Is.EqualTo(HttpStatusCode.Unauthorized));
            Assert.That(await TokenStatusAsync(secondClient, id, fresh), Is.EqualTo(HttpStatusCode.OK));
        });
    }

    [Test]
    public async Task Authorization_code_with_pkce_and_refresh_rotation_work_through_pgbouncer()
    {
        var user = "user-" + Guid.NewGuid().ToString("N")[..8];
        await first.CreateUserAsync(user, "correct horse battery staple");
        var (clientId, _) = await first.CreateClientAsync("public", [Redirect], "openid", "offline_access", "metric:query");
        var (verifier, challenge) = SignInSupport.NewPkce();
        // A browser over real HTTP: cookies kept, redirects not followed (the last one goes to the client's redirect URI).
        using var browser = new SignInDriver(new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new() })
        {
            BaseAddress = issuer,
        });
        using var redirect = await browser.SignInAsync(new Dictionary<string, string?>
        {
            ["response_type"] = "code", ["client_id"] = clientId, ["redirect_uri"] = Redirect, ["scope"] = "openid offline_access",
            ["state"] = "s1", ["code_challenge"] = challenge, ["code_challenge_method"] = "S256",
        }, user, "correct horse battery staple");
        Assert.That(redirect.StatusCode, Is.EqualTo(HttpStatusCode.SeeOther), await redirect.Content.ReadAsStringAsync());

        // The code is redeemed on the other instance: both read the one database through pgbouncer.
        using var exchange = await PostFormAsync(secondClient, ("grant_type", "authorization_code"),
            ("code", SignInDriver.QueryOf(redirect)["code"]), ("redirect_uri", Redirect), ("client_id", clientId),
            ("code_verifier", verifier));
        var tokens = await exchange.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(exchange.StatusCode, Is.EqualTo(HttpStatusCode.OK), tokens.ToString());
        var refresh = tokens.GetProperty("refresh_token").GetString()!;

        using var refreshed = await PostFormAsync(firstClient, ("grant_type", "refresh_token"), ("refresh_token", refresh),
            ("client_id", clientId));
        var successor = (await refreshed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("refresh_token").GetString()!;
        using var reuse = await PostFormAsync(secondClient, ("grant_type", "refresh_token"), ("refresh_token", refresh),
            ("client_id", clientId));
        using var afterReuse = await PostFormAsync(firstClient, ("grant_type", "refresh_token"), ("refresh_token", successor),
            ("client_id", clientId));
        Assert.Multiple(() =>
        {
            Assert.That(refreshed.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(successor, Is.Not.EqualTo(refresh));
            Assert.That(reuse.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "a rotated refresh token used again");
            Assert.That(afterReuse.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest), "the reuse revoked the family");
        });
    }

    [Test]
    public async Task Revoked_token_is_inactive_on_both_instances()
    {
        var (id, secret) = await first.CreateApplicationAsync(null, "metric:query");
        var token = await TokenServiceHost.GetTokenAsync(firstClient, id, secret);
        var before = await ActiveAsync(secondClient, id, secret, token);
        using var revoke = await PostFormAsync(secondClient, ("token", token), ("client_id", id), ("client_secret", secret));
        revoke.EnsureSuccessStatusCode();
        Assert.Multiple(async () =>
        {
            Assert.That(before, Is.True);
            Assert.That(await ActiveAsync(secondClient, id, secret, token), Is.False);
            Assert.That(await EventuallyInactiveAsync(firstClient, id, secret, token), Is.False);
        });
    }

    [Test]
    public async Task Tenant_and_policy_value_queries_see_exactly_their_rows()
    {
        var policy = await NewPolicyPoolAsync();
        foreach (var tenant in Tenants)
        {
            var tenantToken = await TokenServiceHost.GetTokenAsync(firstClient, reader.Id, reader.Secret, tenant: tenant);
            var policyToken = await TokenServiceHost.GetTokenAsync(secondClient, policy.Application.Id, policy.Application.Secret,
                policyValues: JsonSerializer.Serialize(new { customer = tenant }));
            Assert.Multiple(async () =>
            {
                Assert.That(await CounterAsync("order_count", tenantToken), Is.EqualTo(await OrdersAsync(tenant, 0)), tenant);
                Assert.That(await CounterAsync(policy.Metric, policyToken), Is.EqualTo(await OrdersAsync(tenant, 4)), tenant);
            });
        }
    }

    /// <summary>
    /// Fifty callers at once over three server connections: every transaction sets its own role, tenant and policy values
    /// locally, so if any of it stayed on a server connection, a caller would count another tenant's rows.
    /// </summary>
    [Test]
    [CancelAfter(120_000)]
    public async Task Fifty_parallel_callers_each_see_their_own_tenant()
    {
        var policy = await NewPolicyPoolAsync();
        var expected = new Dictionary<(string, int), long>();
        foreach (var tenant in Tenants)
        {
            expected[(tenant, 0)] = await OrdersAsync(tenant, 0);
            expected[(tenant, 4)] = await OrdersAsync(tenant, 4);
        }

        // One verification each first: concurrent first verifications from one address are limited (FailedAuthenticationLimiter),
        // and the point here is the database, not Argon2.
        foreach (var client in new[] { firstClient, secondClient })
        {
            await TokenServiceHost.GetTokenAsync(client, reader.Id, reader.Secret);
            await TokenServiceHost.GetTokenAsync(client, policy.Application.Id, policy.Application.Secret);
        }

        var calls = Enumerable.Range(0, 50).Select(async i =>
        {
            var tenant = Tenants[i % Tenants.Length];
            var client = i % 2 == 0 ? firstClient : secondClient;
            var byPolicy = i % 5 == 0;
            var token = byPolicy
                ? await TokenServiceHost.GetTokenAsync(client, policy.Application.Id, policy.Application.Secret,
                    policyValues: JsonSerializer.Serialize(new { customer = tenant }))
                : await TokenServiceHost.GetTokenAsync(client, reader.Id, reader.Secret, tenant: tenant);
            var count = await CounterAsync(byPolicy ? policy.Metric : "order_count", token);
            return (i, tenant, byPolicy, count, want: expected[(tenant, byPolicy ? 4 : 0)]);
        });
        var results = await Task.WhenAll(calls);
        Assert.That(results.Where(r => r.count != r.want).Select(r => $"{r.i} {r.tenant} policy={r.byPolicy}: {r.count} != {r.want}"),
            Is.Empty);
    }

    /// <summary>
    /// Every backend of the database is one of pgbouncer's server connections (at most the pool size) except one LISTEN
    /// connection per TokenService instance.
    /// </summary>
    [Test]
    public async Task Only_the_listeners_connect_directly()
    {
        // Traffic first, so the pools are not empty when looked at.
        await Fifty_parallel_callers_each_see_their_own_tenant();
        await using var connection = new NpgsqlConnection(direct);
        var backends = (await connection.QueryAsync<(int Port, string Name, string Query)>("""
            SELECT client_port, coalesce(application_name, ''), coalesce(query, '') FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
            """)).ToList();
        var bouncerPorts = bouncer.LocalPorts();
        var viaBouncer = backends.Where(b => bouncerPorts.Contains(b.Port)).ToList();
        var directOnes = backends.Except(viaBouncer).ToList();
        var all = string.Join("\n", backends);
        Assert.Multiple(() =>
        {
            Assert.That(viaBouncer, Has.Count.InRange(1, PoolSize), all);
            Assert.That(directOnes.Select(b => b.Name), Is.EqualTo(new[] { "TokenService", "TokenService" }), all);
            Assert.That(directOnes.Select(b => b.Query),
                Is.All.Matches<string>(q => q is "SELECT 1" || q!.StartsWith("LISTEN", StringComparison.Ordinal)), all);
        });
    }

    /// <summary>The services' settings: the pool through pgbouncer, the direct connection for LISTEN and migrations.</summary>
    private Dictionary<string, string?> Settings() => new() { ["DATABASE_URL"] = pooled, ["DIRECT_DATABASE_URL"] = direct };

    private TokenServiceHost StartTokenService(int port, string? keyEncryptionKey)
    {
        var settings = Settings();
        settings["Issuer"] = issuer.ToString().TrimEnd('/');
        if (keyEncryptionKey is not null)
        {
            settings["KEY_ENCRYPTION_KEY"] = keyEncryptionKey;
        }

        var host = new TokenServiceHost(pooled, settings);
        host.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        host.StartServer();
        return host;
    }

    /// <summary>A pool over the demo orders with access control on, a COUNT metric, and an application whose policy keeps
    /// the rows of its token's <c>customer</c> policy value with quantity ≥ 4.</summary>
    private async Task<(string Metric, (string Id, string Secret) Application)> NewPolicyPoolAsync()
    {
        var admin = await TokenServiceHost.GetTokenAsync(firstClient, reader.Id, reader.Secret);
        var suffix = Guid.NewGuid().ToString("N")[..10];
        var (pool, metric, policy) = ("pool_" + suffix, "count_" + suffix, "policy_" + suffix);
        await GraphQLAsync(admin, $"mutation {{ createDataPool(input: {{ uniqueName: \"{pool}\", dataSource: \"demo_postgres\", " +
                                  "table: \"orders\", timestamp: \"timestamp\", tenant: \"tenant\" }) { id } }");
        await GraphQLAsync(admin,
            $"mutation {{ createMetric(input: {{ uniqueName: \"{metric}\", dataPool: \"{pool}\", type: COUNT }}) {{ id }} }}");
        await GraphQLAsync(admin, $"mutation {{ modifyDataPool(input: {{ dataPool: \"{pool}\", accessControlEnabled: true }}) {{ id }} }}");
        const string createPolicy =
            "mutation($input: CreateDataPoolAccessPolicyInput!) { createDataPoolAccessPolicy(input: $input) { id } }";
        await GraphQLAsync(admin, createPolicy, new
        {
            input = new
            {
                uniqueName = policy, dataPool = pool, columns = new[] { "*" },
                rows = new object[]
                {
                    new { column = "tenant", @operator = "EQUALS", value = "${{ customer }}" },
                    new { column = "quantity", @operator = "GREATER_THAN_OR_EQUAL_TO", value = "4" },
                },
            },
        });
        var application = await first.CreateApplicationAsync(null, Scopes.MetricQuery);
        await GraphQLAsync(admin, "mutation($input: AssignDataPoolAccessPolicyInput!) { assignDataPoolAccessPolicy(input: $input) { id } }",
            new { input = new { dataPoolAccessPolicy = policy, applications = new[] { application.ClientId } } });
        return (metric, application);
    }

    private async Task<long> CounterAsync(string metric, string token) =>
        long.Parse((await GraphQLAsync(token, $"{{ counter(metric: \"{metric}\") {{ value }} }}")).GetProperty("counter")
            .GetProperty("value").GetString()!, System.Globalization.CultureInfo.InvariantCulture);

    private async Task<JsonElement> GraphQLAsync(string token, string query, object? variables = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql") { Content = JsonContent.Create(new { query, variables }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await apiClient.SendAsync(request);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.That(response.StatusCode == HttpStatusCode.OK && !body.TryGetProperty("errors", out _), Is.True, $"{query}: {body}");
        return body.GetProperty("data");
    }

    /// <summary>Ground truth straight from PostgreSQL: the tenant's orders with at least <paramref name="quantity"/> items.</summary>
    private async Task<long> OrdersAsync(string tenant, int quantity)
    {
        await using var connection = new NpgsqlConnection(direct);
        return await connection.ExecuteScalarAsync<long>(
            "SELECT count(*) FROM resource.orders WHERE tenant = @tenant AND quantity >= @quantity", new { tenant, quantity });
    }

    private static Task<HttpResponseMessage> PostFormAsync(HttpClient client, params (string Key, string Value)[] form) =>
        client.PostAsync(form.Any(p => p.Key == "grant_type") ? "/oauth2/token" : "/oauth2/revoke",
            new FormUrlEncodedContent(form.Select(p => KeyValuePair.Create(p.Key, p.Value))));

    private static async Task<HttpStatusCode> TokenStatusAsync(HttpClient client, string id, string secret)
    {
        using var response = await PostFormAsync(client, ("grant_type", "client_credentials"), ("client_id", id),
            ("client_secret", secret));
        return response.StatusCode;
    }

    private static async Task<HttpStatusCode> EventuallyRefusedAsync(HttpClient client, string id, string secret)
    {
        var clock = Stopwatch.StartNew();
        var status = await TokenStatusAsync(client, id, secret);
        while (status != HttpStatusCode.Unauthorized && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(100);
            status = await TokenStatusAsync(client, id, secret);
        }

        return status;
    }

    private static async Task<bool> ActiveAsync(HttpClient client, string id, string secret, string token)
    {
        using var response = await client.PostAsync("/oauth2/introspect", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["token"] = token, ["client_id"] = id, ["client_secret"] = secret,
        }));
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("active").GetBoolean();
    }

    private static async Task<bool> EventuallyInactiveAsync(HttpClient client, string id, string secret, string token)
    {
        var clock = Stopwatch.StartNew();
        var active = await ActiveAsync(client, id, secret, token);
        while (active && clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            await Task.Delay(100);
            active = await ActiveAsync(client, id, secret, token);
        }

        return active;
    }
}
