using System.Net;
using TestSupport;

namespace ResourceApi.Tests.Infrastructure;

/// <summary>
/// The real TokenService on real Kestrel, whose issuer is its own loopback address, so the discovery document and
/// JWKS it publishes are reachable by a ResourceApi over HTTP exactly as in production.
/// </summary>
public static class LoopbackTokenService
{
    public static async Task<(TokenServiceHost Host, Uri Issuer, HttpClient Client)> StartAsync(string connectionString)
    {
        var port = Loopback.FreePort();
        var issuer = new Uri($"http://127.0.0.1:{port}");
        var host = new TokenServiceHost(connectionString, new Dictionary<string, string?> { ["Issuer"] = issuer.ToString().TrimEnd('/') });
        host.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port));
        host.StartServer();
        return (host, issuer, await host.CreateReadyClientAsync());
    }
}
