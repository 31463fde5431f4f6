using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Dapper;
using Npgsql;
using Security.Tests.Infrastructure;
using TestSupport;

namespace Security.Tests.Faults;

/// <summary>
/// Issue 18 point 3: the real TokenService binary on a pg_auto_failover formation (tests/TestSupport/PgAutoFailover.cs:
/// monitor, primary, synchronous standby), its DATABASE_URL naming both nodes with Target Session Attributes=primary.
/// Under about 100 requests a second (warm client credentials, management writes each followed by a cold token request,
/// user tenant changes, refresh rotations, and an operator's <c>keys rotate</c> every 2 s) the primary's whole machine
/// is killed with SIGKILL. Warm issuance keeps answering; everything else gets 200 or 503 with Retry-After (the command
/// line: exit 0, or exit 1 with one line), never another status; within 10 s of the standby's promotion every kind of
/// request succeeds again, without a restart; everything a 2xx (or exit 0) confirmed is read back from the new primary;
/// and a second instance, whose change listener had to reconnect to the new primary, stops serving an application
/// deleted through the first within 5 s (issue 18 point 4, across the failover).
/// </summary>
[NonParallelizable]
public sealed class FailoverTests
{
    private const int Families = 4;
    private static readonly TimeSpan RecoveryBound = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ConvergenceBound = TimeSpan.FromSeconds(5);

    /// <summary>One ops command run during the load: what it was, when it started, how it ended, what it confirmed.</summary>
    private sealed record OpsRun(string Command, TimeSpan At, TimeSpan End, int ExitCode, string Confirmed, string Error);

    private sealed record Outcome(string Kind, TimeSpan At, int Status, bool RetryAfter);

    [Test]
    [CancelAfter(150_000)]
    public async Task Killing_the_primary_under_load_loses_nothing_committed_and_recovers_within_10_s_of_promotion()
    {
        if (PgAutoFailover.Binary is null)
        {
            Assert.Ignore("pg_auto_failover is not installed: scripts/install-prerequisites.sh installs it");
        }

        await using var formation = await PgAutoFailover.StartAsync();
        var keyEncryptionKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        await using var service = new TokenServiceProcess(formation.ConnectionString, keyEncryptionKey);
        await service.CliTextAsync("migrate");
        var web = await service.CliAsync("applications", "create", "--name", "failover-web", "--scopes", "openid", "offline_access",
            "--type", "confidential", "--redirect-uris", UserSignIn.RedirectUri, "--grant-types", "authorization_code", "refresh_token");
        var warm = await service.CliAsync("applications", "create", "--name", "failover-warm", "--scopes", "metric:query");
        var admin = await service.CliAsync("applications", "create", "--name", "failover-admin", "--scopes", "application:admin");
        var password = "pw-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(10));
        await service.CliAsync("users", "create", "--username", "failover-user", "--password", password);
        // Tenant changes go to a user of their own: a change of a user's access ends that user's refresh families.
        await service.CliAsync("users", "create", "--username", "failover-member", "--password", password);
        await service.StartAsync();
        // The other instance: no load on it; its caches and change listener are what point 4 is about.
        await using var other = new TokenServiceProcess(formation.ConnectionString, keyEncryptionKey);
        await other.StartAsync();

        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 })
        {
            BaseAddress = service.BaseAddress,
            Timeout = TimeSpan.FromSeconds(10),
        };
        var (webId, webSecret) = (Id(web), Secret(web));
        var (warmId, warmSecret) = (Id(warm), Secret(warm));
        // The management API's bearer token on a client of its own: the token endpoint refuses two authentication methods.
        using var management = new HttpClient { BaseAddress = service.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        management.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer",
            await TokenServiceHost.GetTokenAsync(client, Id(admin), Secret(admin)));
        var latest = new string[Families];
        for (var f = 0; f < Families; f++)
        {
            latest[f] = await UserSignIn.NewFamilyAsync(client, webId, webSecret, "failover-user", password);
        }

        await TokenServiceHost.GetTokenAsync(client, warmId, warmSecret);

        var outcomes = new ConcurrentQueue<Outcome>();
        var created = new ConcurrentDictionary<string, string>();
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var inFlight = new ConcurrentDictionary<Task, bool>();
        using var coldGate = new SemaphoreSlim(1, 1);

        async Task<HttpResponseMessage> Send(string kind, Func<Task<HttpResponseMessage>> send)
        {
            HttpResponseMessage response;
            try
            {
                response = await send();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // No answer at all: counted as status 0, which no assertion accepts.
                outcomes.Enqueue(new Outcome(kind, clock.Elapsed, 0, false));
                throw;
            }

            outcomes.Enqueue(new Outcome(kind, clock.Elapsed, (int)response.StatusCode, response.Headers.RetryAfter is not null));
            return response;
        }

        Task TokenRequest(string kind, string id, string secret) => Send(kind, () => client.PostAsync("/oauth2/token",
            new FormUrlEncodedContent(
            new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = id, ["client_secret"] = secret })));

        // Open loop: warm requests every 12.5 ms (80/s) whatever the answers take.
        var warmLoad = Task.Run(async () =>
        {
            using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(12.5));
            while (await tick.WaitForNextTickAsync(CancellationToken.None) && !stop.IsCancellationRequested)
            {
                var request = Catch(TokenRequest("warm", warmId, warmSecret));
                inFlight[request] = true;
                _ = request.ContinueWith(t => inFlight.TryRemove(t, out _), TaskScheduler.Default);
            }
        });

        // Management writes, 5/s: each application created is asked for a token at once (a cold path: no cache has it).
        var writeLoad = Task.Run(async () =>
        {
            using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
            var n = 0;
            while (await tick.WaitForNextTickAsync(CancellationToken.None) && !stop.IsCancellationRequested)
            {
                var name = $"failover-{n++}";
                var request = Catch(Task.Run(async () =>
                {
                    var application = new { name, scopes = new[] { "metric:query" } };
                    using var response = await Send("write", () => management.PostAsJsonAsync("/applications", application));
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
                        created[Id(body)] = Secret(body);
                        // One cold verification at a time, as one caller makes them: concurrent ones from one address
                        // are held back with 429 by design (FailedAuthenticationLimiter), which is not what this measures.
                        await coldGate.WaitAsync();
                        try
                        {
                            await TokenRequest("cold", Id(body), Secret(body));
                        }
                        finally
                        {
                            coldGate.Release();
                        }
                    }
                }));
                inFlight[request] = true;
                _ = request.ContinueWith(t => inFlight.TryRemove(t, out _), TaskScheduler.Default);
            }
        });

        // User writes, 2/s: a tenant membership added each time (a set: confirmed ones must all be there after).
        var tenants = new ConcurrentBag<string>();
        var userLoad = Task.Run(async () =>
        {
            using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
            var n = 0;
            while (await tick.WaitForNextTickAsync(CancellationToken.None) && !stop.IsCancellationRequested)
            {
                var tenant = $"tenant-{n++}";
                var request = Catch(Task.Run(async () =>
                {
                    using var response = await Send("user", () => management.PutAsync($"/users/failover-member/tenants/{tenant}", null));
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        tenants.Add(tenant);
                    }
                }));
                inFlight[request] = true;
                _ = request.ContinueWith(t => inFlight.TryRemove(t, out _), TaskScheduler.Default);
            }
        });

        // Refresh rotations, one loop per family: a 503 keeps the same token and tries again.
        var refreshLoads = Enumerable.Range(0, Families).Select(f => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await Send("refresh", () => client.PostAsync("/oauth2/token", new FormUrlEncodedContent(
                        new Dictionary<string, string>
                        {
                            ["grant_type"] = "refresh_token", ["refresh_token"] = latest[f],
                            ["client_id"] = webId, ["client_secret"] = webSecret,
                        })));
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        latest[f] = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("refresh_token").GetString()!;
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                }

                await Task.Delay(200);
            }
        })).ToList();

        // An operator at the command line, one command at a time: signing keys rotated (published a day ahead, so they
        // never sign here) and users created.
        var opsRuns = new ConcurrentQueue<OpsRun>();
        var opsLoad = Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                var began = clock.Elapsed;
                var (exitCode, output, error) = await service.CliRunAsync("keys", "rotate", "--lead-seconds", "86400");
                var kid = exitCode == 0 ? JsonDocument.Parse(output).RootElement.GetProperty("kid").GetString()! : "";
                opsRuns.Enqueue(new OpsRun("keys", began, clock.Elapsed, exitCode, kid, error));

                began = clock.Elapsed;
                var username = $"failover-op-{n}";
                (exitCode, _, error) = await service.CliRunAsync("users", "create", "--username", username, "--password", password);
                opsRuns.Enqueue(new OpsRun("users", began, clock.Elapsed, exitCode, exitCode == 0 ? username : "", error));
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        });

        await Task.Delay(TimeSpan.FromSeconds(5));
        var killedAt = clock.Elapsed;
        await formation.KillAsync("node1");
        await formation.WaitForPrimaryAsync("node2");
        var promotedAt = clock.Elapsed;
        await Task.Delay(RecoveryBound + TimeSpan.FromSeconds(3));
        await stop.CancelAsync();
        await Task.WhenAll([warmLoad, writeLoad, userLoad, opsLoad, .. refreshLoads]);
        await Task.WhenAll(inFlight.Keys);

        var all = outcomes.ToList();
        var byKind = all.GroupBy(o => o.Kind).ToDictionary(g => g.Key, g => g.ToList());
        var summary = string.Join("; ", byKind.Select(k => $"{k.Key}: " + string.Join(", ",
            k.Value.GroupBy(o => o.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}×{g.Count()}"))));
        var settled = promotedAt + RecoveryBound;
        TestContext.Out.WriteLine($"killed at {killedAt.TotalSeconds:F1} s, promoted at {promotedAt.TotalSeconds:F1} s; {summary}");
        foreach (var kind in new[] { "cold", "write", "user", "refresh" })
        {
            var firstAfter = byKind.GetValueOrDefault(kind, [])
                .Where(o => o.At > promotedAt && o.Status is 200 or 201).Select(o => (TimeSpan?)o.At).Min();
            TestContext.Out.WriteLine($"{kind}: first success {(firstAfter - promotedAt)?.TotalSeconds:F1} s after promotion");
        }

        // Point 4 across the failover: an application the other instance has cached (cold, then warm) is deleted
        // through this one; the other must learn it from the change feed of the new primary, not from its cache's age.
        using var otherClient = new HttpClient { BaseAddress = other.BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        using var probeCreated = await management.PostAsJsonAsync("/applications",
            new { name = "failover-converge", scopes = new[] { "metric:query" } });
        var probe = await probeCreated.Content.ReadFromJsonAsync<JsonElement>();
        var probeWarm = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            probeWarm.Add(await TokenStatusAsync(otherClient, Id(probe), Secret(probe)));
        }

        using var deleted = await management.DeleteAsync($"/applications/{Id(probe)}");
        var converging = Stopwatch.StartNew();
        var afterDelete = HttpStatusCode.OK;
        while (converging.Elapsed < ConvergenceBound * 2)
        {
            afterDelete = await TokenStatusAsync(otherClient, Id(probe), Secret(probe));
            if (afterDelete != HttpStatusCode.OK)
            {
                break;
            }

            await Task.Delay(100);
        }

        var convergedIn = converging.Elapsed;
        TestContext.Out.WriteLine(
            $"the other instance refused the deleted application after {convergedIn.TotalSeconds:F2} s ({(int)afterDelete})");
        var ops = opsRuns.ToList();
        TestContext.Out.WriteLine("ops commands: " + string.Join(", ", ops.GroupBy(r => (r.Command, r.ExitCode)).Select(g =>
            $"{g.Key.Command} exit {g.Key.ExitCode}×{g.Count()}")));
        TestContext.Out.WriteLine("refused: " +
            string.Join(" | ", ops.Where(r => r.ExitCode != 0).Select(r => r.Error.Trim()).Distinct()));

        // Read everything back from the new primary, through the service and in the database itself.
        var readBack = new List<string>();
        foreach (var (id, secret) in created)
        {
            using var response = await management.GetAsync($"/applications/{id}");
            if (response.StatusCode != HttpStatusCode.OK)
            {
                readBack.Add($"application {id}: {(int)response.StatusCode}");
            }
        }

        foreach (var username in ops.Where(r => r.Command == "users" && r.ExitCode == 0).Select(r => r.Confirmed))
        {
            using var response = await management.GetAsync($"/users/{username}");
            if (response.StatusCode != HttpStatusCode.OK)
            {
                readBack.Add($"user {username}: {(int)response.StatusCode}");
            }
        }

        var user = await management.GetFromJsonAsync<JsonElement>("/users/failover-member");
        var memberships = user.GetProperty("tenants").EnumerateArray().Select(t => t.GetString()).ToHashSet();
        var lastRotations = new List<HttpStatusCode>();
        foreach (var token in latest)
        {
            lastRotations.Add((await UserSignIn.TryRefreshAsync(client, webId, webSecret, token)).Status);
        }

        await using var db = new NpgsqlConnection(formation.ConnectionString);
        var families = (await db.QueryAsync<bool>(
            "SELECT revoked_at IS NOT NULL FROM refresh_token_families WHERE client_id = @webId", new { webId })).ToList();
        var kids = (await db.QueryAsync<string>("SELECT kid FROM signing_keys")).ToHashSet();

        var log = service.Output;
        Assert.Multiple(() =>
        {
            Assert.That(byKind["warm"].Where(o => o.Status != 200), Is.Empty, "warm client credentials keep answering: " + summary);
            Assert.That(all.Where(o => o.Status is not (200 or 201 or 503)), Is.Empty,
                "only success or 503: " + summary + "\n" + log[^Math.Min(log.Length, 6000)..]);
            Assert.That(all.Where(o => o.Status == 503 && !o.RetryAfter), Is.Empty, "every 503 says Retry-After");
            Assert.That(all.Where(o => o.At < killedAt && o.Status is not (200 or 201)), Is.Empty, "all succeeded before the kill");
            Assert.That(all.Where(o => o.At > settled && o.Status is not (200 or 201)), Is.Empty,
                "everything succeeds from 10 s after the promotion on: " + summary);
            foreach (var kind in new[] { "warm", "cold", "write", "user", "refresh" })
            {
                Assert.That(byKind.GetValueOrDefault(kind, []).Count(o => o.At > settled && o.Status is 200 or 201), Is.Positive,
                    $"{kind} requests succeeded after recovery");
            }

            Assert.That(created, Has.Count.GreaterThan(20), "applications created around the failover");
            Assert.That(readBack, Is.Empty, "every application a 201 and every user an exit 0 confirmed is there after the failover");
            Assert.That(tenants.Where(t => !memberships.Contains(t)), Is.Empty, "every tenant membership a 200 confirmed is there");
            Assert.That(tenants, Has.Count.GreaterThan(10), "tenant memberships added around the failover");
            Assert.That(lastRotations, Is.All.EqualTo(HttpStatusCode.OK), "every family's newest refresh token still rotates");
            Assert.That(families, Has.Count.EqualTo(Families).And.All.False, "no family lost or revoked");

            Assert.That(ops.Where(r => r.ExitCode != 0 && (r.End < killedAt || r.At > settled)), Is.Empty,
                "ops commands that end before the kill, or start 10 s after the promotion, succeed");
            Assert.That(ops.Where(r => r.ExitCode is not (0 or 1)), Is.Empty, "the command line exits 0 or 1 (database unavailable)");
            Assert.That(ops.Where(r => r.ExitCode == 1 && !IsOneErrorLine(r.Error)), Is.Empty,
                "a refused command says so in one line, no stack trace");
            Assert.That(ops.Count(r => r.Command == "keys" && r.ExitCode == 0), Is.GreaterThanOrEqualTo(3),
                "keys rotated around the failover");
            Assert.That(ops.Count(r => r.Command == "users" && r.ExitCode == 0), Is.GreaterThanOrEqualTo(3), "users created around it");
            Assert.That(ops.Where(r => r.Command == "keys" && r.ExitCode == 0).Select(r => r.Confirmed).Where(k => !kids.Contains(k)),
                Is.Empty, "every key a rotation confirmed is there after the failover");

            Assert.That(probeWarm, Is.All.EqualTo(HttpStatusCode.OK), "the other instance served the new application");
            Assert.That(deleted.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
            Assert.That(afterDelete, Is.EqualTo(HttpStatusCode.Unauthorized), "the other instance stops serving the deleted application");
            Assert.That(convergedIn, Is.LessThanOrEqualTo(ConvergenceBound), "within 5 s, its listener on the new primary");
        });
    }

    private static async Task Catch(Task request)
    {
        try
        {
            await request;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            // Recorded as status 0 by Send.
        }
    }

    private static bool IsOneErrorLine(string error) =>
        !error.Trim().Contains('\n') && error.StartsWith("error: ", StringComparison.Ordinal)
        && !error.Contains("   at ", StringComparison.Ordinal) && !error.Contains("xception", StringComparison.Ordinal);

    private static async Task<HttpStatusCode> TokenStatusAsync(HttpClient client, string id, string secret)
    {
        using var response = await client.PostAsync("/oauth2/token", new FormUrlEncodedContent(
            new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = id, ["client_secret"] = secret }));
        return response.StatusCode;
    }

    private static string Id(JsonElement created) => created.GetProperty("clientId").GetString()!;

    private static string Secret(JsonElement created) => created.GetProperty("secret").GetString()!;
}
