using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using Security.Tests.Infrastructure;

namespace Security.Tests.Logging;

/// <summary>
/// Issue 6 point 5: every log entry of a full run (Trace level, both services, scopes and exception text included)
/// is searched for every credential the run used: client secrets, a password, codes, refresh tokens, access and ID
/// tokens, Basic and Bearer header values. None may appear. The JSON console format and the request id scope are
/// checked too.
/// </summary>
public sealed class SecretLeakTests
{
    [Test]
    [CancelAfter(120_000)]
    public async Task A_full_run_logs_no_secret_password_code_or_token()
    {
        await using var stack = await SecurityStack.StartAsync("logleak", traceLogs: true);
        var secrets = new List<(string What, string Value)>();
        void Keep(string what, string? value)
        {
            if (!string.IsNullOrEmpty(value))
            {
                secrets.Add((what, value));
            }
        }

        // Client credentials: post and Basic, wrong secrets, a wrong secret that is almost right.
        var (clientId, secret) = await stack.CreateApplicationAsync("metric:query", "data_pool:query");
        Keep("client secret", secret);
        var accessToken = await stack.TokenAsync(clientId, secret);
        Keep("access token", accessToken);
        Keep("wrong secret", secret + "x");
        using (var wrong = await stack.TokenClient.PostAsync("/oauth2/token", new FormUrlEncodedContent(
        [
            KeyValuePair.Create("grant_type", "client_credentials"), KeyValuePair.Create("client_id", clientId), KeyValuePair.Create("client_secret", secret + "x"),
        ])))
        {
            Assert.That(wrong.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        }

        using (var basic = new HttpRequestMessage(HttpMethod.Post, "/oauth2/token")
        {
            Content = new FormUrlEncodedContent([KeyValuePair.Create("grant_type", "client_credentials")]),
        })
        {
            basic.Headers.Authorization = TestSupport.TokenServiceHost.Basic(clientId, secret);
            Keep("Basic header", basic.Headers.Authorization.Parameter);
            using var response = await stack.TokenClient.SendAsync(basic);
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        // GraphQL with Bearer and with Basic (exchanged at the token endpoint), and a forged Bearer.
        await GraphQLAsync(stack, new AuthenticationHeaderValue("Bearer", accessToken));
        await GraphQLAsync(stack, TestSupport.TokenServiceHost.Basic(clientId, secret));
        var forged = ForgedJwt.AccessToken("nokid").SignHs256(Encoding.ASCII.GetBytes(secret));
        Keep("forged bearer", forged);
        await GraphQLAsync(stack, new AuthenticationHeaderValue("Bearer", forged));

        // The user flow: wrong password, login, code exchange, refresh (rotation), userinfo, introspection, revocation.
        var user = await stack.CreateUserAppAsync();
        Keep("web client secret", user.Secret);
        Keep("password", user.Password);
        Keep("wrong password", user.Password + "!");
        using var browser = stack.CreateBrowser();
        var (failed, _) = await UserSignIn.SubmitLoginAsync(browser, user.ClientId, user.Username, user.Password + "!");
        failed.Dispose();
        var (code, verifier) = await UserSignIn.AuthorizeAsync(browser, user.ClientId, user.Username, user.Password);
        Keep("authorization code", code);
        Keep("code verifier", verifier);
        var tokens = await UserSignIn.ExchangeAsync(stack.TokenClient, user.ClientId, user.Secret, code, verifier);
        var refresh = tokens.GetProperty("refresh_token").GetString()!;
        Keep("user access token", tokens.GetProperty("access_token").GetString());
        Keep("id token", tokens.TryGetProperty("id_token", out var id) ? id.GetString() : null);
        Keep("refresh token", refresh);
        var rotated = await UserSignIn.RefreshAsync(stack.TokenClient, user.ClientId, user.Secret, refresh);
        Keep("rotated refresh token", rotated.GetProperty("refresh_token").GetString());
        Keep("rotated access token", rotated.GetProperty("access_token").GetString());
        // Reuse of the old refresh token: the family is revoked (and must not be logged either).
        using (await SendFormAsync(stack, "/oauth2/token", user, ("grant_type", "refresh_token"), ("refresh_token", refresh)))
        {
        }

        using (var userInfo = new HttpRequestMessage(HttpMethod.Get, "/userinfo"))
        {
            userInfo.Headers.Authorization = new AuthenticationHeaderValue("Bearer", tokens.GetProperty("access_token").GetString());
            (await stack.TokenClient.SendAsync(userInfo)).Dispose();
        }

        using (await SendFormAsync(stack, "/oauth2/introspect", user, ("token", accessToken)))
        using (await SendFormAsync(stack, "/oauth2/introspect", user, ("token", rotated.GetProperty("refresh_token").GetString()!)))
        using (await SendFormAsync(stack, "/oauth2/revoke", user, ("token", rotated.GetProperty("refresh_token").GetString()!)))
        using (await SendFormAsync(stack, "/oauth2/revoke", user, ("token", tokens.GetProperty("access_token").GetString()!)))
        {
        }

        var entries = stack.Logs.Entries.ToList();
        TestContext.Out.WriteLine($"{entries.Count} log entries captured at Trace level; {secrets.Count} credentials searched for");
        var leaks = (from entry in entries
                     from s in secrets
                     where Leaks(entry.AllText, s.Value)
                     select $"{s.What} in {entry.Category}/{entry.EventId}: {entry.Message[..Math.Min(entry.Message.Length, 200)]}").Distinct().ToList();
        var requestLines = entries.Where(e => e.Category.StartsWith("TokenService.", StringComparison.Ordinal) &&
                                              !e.Category.Contains("Refresher", StringComparison.Ordinal) && !e.Category.Contains("ChangeListener", StringComparison.Ordinal))
            .ToList();

        var console = stack.Tokens.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue;
        var json = stack.Tokens.Services.GetRequiredService<IOptionsMonitor<JsonConsoleFormatterOptions>>().CurrentValue;
        Assert.Multiple(() =>
        {
            Assert.That(entries, Has.Count.GreaterThan(100), "the run was logged at Trace level");
            Assert.That(leaks, Is.Empty);
            Assert.That(requestLines, Is.Not.Empty);
            Assert.That(requestLines.Where(e => !e.HasRequestId).Select(e => e.Category + "/" + e.EventId), Is.Empty,
                "every line logged while serving a request carries its RequestId scope");
            Assert.That(console.FormatterName, Is.EqualTo(ConsoleFormatterNames.Json));
            Assert.That(json.IncludeScopes, Is.True);
        });
    }

    /// <summary>The value itself, or for long ones any 24-character slice of it (a truncated token is still a leak).</summary>
    private static bool Leaks(string text, string secret)
    {
        if (text.Contains(secret, StringComparison.Ordinal))
        {
            return true;
        }

        for (var i = 0; secret.Length >= 32 && i + 24 <= secret.Length; i += 8)
        {
            if (text.Contains(secret.AsSpan(i, 24), StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static async Task GraphQLAsync(SecurityStack stack, AuthenticationHeaderValue authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/graphql")
        {
            Content = new StringContent("{\"query\":\"{ __typename }\"}", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = authorization;
        using var response = await stack.ApiClient.SendAsync(request);
        Assert.That((int)response.StatusCode, Is.LessThan(500));
    }

    private static async Task<HttpResponseMessage> SendFormAsync(SecurityStack stack, string path,
        (string ClientId, string Secret, string Username, string Password) client, params (string, string)[] form)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new FormUrlEncodedContent(form.Select(p => KeyValuePair.Create(p.Item1, p.Item2))),
        };
        request.Headers.Authorization = TestSupport.TokenServiceHost.Basic(client.ClientId, client.Secret);
        var response = await stack.TokenClient.SendAsync(request);
        // This test is about logs; 503 (database trouble answered properly) is judged by the fault tests.
        Assert.That((int)response.StatusCode, Is.LessThan(500).Or.EqualTo(503), path);
        return response;
    }
}
