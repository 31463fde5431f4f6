using System.Net;
using System.Security.Cryptography;
using Dapper;
using Npgsql;
using Security.Tests.Infrastructure;
using TestSupport;

namespace Security.Tests.Faults;

/// <summary>
/// Issue 6 point 3b, refresh tokens: families rotated by the real binary, which is then killed with SIGKILL while
/// client-credentials load runs, and started again. Every family survives whole: its newest refresh token rotates
/// after the restart, and the database holds exactly one unconsumed token per family, none revoked.
/// </summary>
public sealed class RefreshFamilyCrashTests
{
    private const int Families = 4;

    [Test]
    [CancelAfter(120_000)]
    public async Task Refresh_token_families_survive_a_sigkill_whole()
    {
        var database = await PostgresServer.CreateDatabaseAsync("rtcrash");
        await using var service = new TokenServiceProcess(database, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
        var web = await service.CliAsync("applications", "create", "--name", "crash-web", "--scopes", "openid", "offline_access", "metric:query",
            "--type", "confidential", "--redirect-uris", UserSignIn.RedirectUri, "--grant-types", "authorization_code", "refresh_token");
        var batch = await service.CliAsync("applications", "create", "--name", "crash-load", "--scopes", "metric:query");
        var (clientId, secret) = (web.GetProperty("clientId").GetString()!, web.GetProperty("secret").GetString()!);
        var password = "pw-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(10));
        await service.CliAsync("users", "create", "--username", "crash-user", "--password", password);
        await service.StartAsync();

        using var client = new HttpClient { BaseAddress = service.BaseAddress };
        var latest = new string[Families];
        for (var f = 0; f < Families; f++)
        {
            latest[f] = await UserSignIn.NewFamilyAsync(client, clientId, secret, "crash-user", password);
            for (var r = 0; r < 3; r++)
            {
                latest[f] = (await UserSignIn.RefreshAsync(client, clientId, secret, latest[f])).GetProperty("refresh_token").GetString()!;
            }
        }

        using var stopLoad = new CancellationTokenSource();
        var load = TokenLoad.RunAsync(client, batch.GetProperty("clientId").GetString()!, batch.GetProperty("secret").GetString()!, stopLoad.Token);
        await Task.Delay(300);
        await service.KillAsync();
        await stopLoad.CancelAsync();
        await load;
        await service.StartAsync();

        var afterRestart = new List<HttpStatusCode>();
        foreach (var token in latest)
        {
            afterRestart.Add((await UserSignIn.TryRefreshAsync(client, clientId, secret, token)).Status);
        }

        await using var db = new NpgsqlConnection(database);
        var families = (await db.QueryAsync<(Guid Id, bool Revoked, long Unconsumed)>("""
            SELECT f.id, f.revoked_at IS NOT NULL, count(t.id) FILTER (WHERE t.consumed_at IS NULL)
            FROM refresh_token_families f LEFT JOIN refresh_tokens t ON t.family_id = f.id
            WHERE f.client_id = @clientId GROUP BY f.id, f.revoked_at
            """, new { clientId })).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(afterRestart, Is.All.EqualTo(HttpStatusCode.OK), "every family's newest token still rotates after the crash");
            Assert.That(families, Has.Count.EqualTo(Families));
            Assert.That(families.Select(f => f.Revoked), Is.All.False);
            Assert.That(families.Select(f => f.Unconsumed), Is.All.EqualTo(1), "exactly one live token per family");
        });
    }
}
