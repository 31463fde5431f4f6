using System.Net;
using System.Net.Sockets;
using System.Text;
using Security.Tests.Infrastructure;
using TestSupport;

namespace Security.Tests.Limits;

/// <summary>
/// Issue 6 point 4: request size limits on real Kestrel (TestServer has none): oversized headers are 431, an
/// oversized URL 414, an oversized body 400/413, never a 5xx; and the GraphQL body limit of the ResourceApi.
/// </summary>
public sealed class RequestSizeTests
{
    private TokenServiceHost host = null!;
    private HttpClient client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        host = new TokenServiceHost(await PostgresServer.CreateDatabaseAsync("sizes"));
        var address = host.StartOnLoopback();
        client = new HttpClient { BaseAddress = address };
        await Loopback.WaitUntilReadyAsync(client);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        client.Dispose();
        await host.DisposeAsync();
    }

    private static HttpRequestMessage TokenRequest(HttpContent? content = null) => new(HttpMethod.Post, "/oauth2/token")
    {
        Content = content ?? new FormUrlEncodedContent([KeyValuePair.Create("grant_type", "client_credentials")]),
    };

    [Test]
    public async Task Header_of_40_kib_is_431()
    {
        using var request = TokenRequest();
        request.Headers.TryAddWithoutValidation("X-Big", new string('h', 40 * 1024));
        using var response = await client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestHeaderFieldsTooLarge));
    }

    [Test]
    public async Task Bearer_token_with_a_64_kib_header_is_431_before_any_parsing()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/userinfo");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + ForgedJwt.B64(new byte[64 * 1024]) + ".e30.x");
        using var response = await client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestHeaderFieldsTooLarge));
    }

    [Test]
    public async Task Two_hundred_headers_are_431()
    {
        using var request = TokenRequest();
        for (var i = 0; i < 200; i++)
        {
            request.Headers.TryAddWithoutValidation("X-H" + i, "v");
        }

        using var response = await client.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestHeaderFieldsTooLarge));
    }

    [Test]
    public async Task Url_of_20_kib_is_414()
    {
        using var response = await client.GetAsync("/oauth2/authorize?x=" + new string('a', 20 * 1024));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestUriTooLong));
    }

    [Test]
    public async Task Body_of_2_mib_with_content_length_is_a_400_oauth_error()
    {
        using var request = TokenRequest(new StringContent("grant_type=client_credentials&x=" + new string('a', 2 * 1024 * 1024),
            Encoding.ASCII, "application/x-www-form-urlencoded"));
        using var response = await client.SendAsync(request);
        Assert.That((int)response.StatusCode, Is.AnyOf(400, 413), await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task Chunked_body_of_2_mib_is_cut_off_at_the_endpoint_limit_without_a_5xx()
    {
        // A raw socket, reading while it writes: the server answers before the body ends and may close the
        // connection then, which HttpClient reports as an exception that hides the status. Here the status line
        // itself is the result, and no status line at all is a failure.
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, client.BaseAddress!.Port);
        var stream = tcp.GetStream();
        var send = Task.Run(async () =>
        {
            try
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes("POST /oauth2/token HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
                    "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"));
                var chunk = Encoding.ASCII.GetBytes("4000\r\n" + new string('a', 0x4000) + "\r\n");
                for (var sent = 0; sent < 2 * 1024 * 1024; sent += 0x4000)
                {
                    await stream.WriteAsync(chunk);
                }

                await stream.WriteAsync(Encoding.ASCII.GetBytes("0\r\n\r\n"));
            }
            catch (IOException)
            {
                // The server stopped reading once it had refused the body: expected.
            }
        });
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var statusLine = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await send;
        Assert.That(statusLine, Does.Match("^HTTP/1.1 (400|413) "));
    }
}
