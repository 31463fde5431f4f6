using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Bench;

/// <summary>HttpClient set up the way a load generator needs it, and precomputed request pieces.</summary>
internal static class Http
{
    /// <summary>
    /// One pool of exactly <paramref name="connections"/> keep-alive connections that never recycle, so the
    /// closed loop measures requests, not TCP handshakes. <paramref name="bindTo"/> picks the source address:
    /// the flood comes from 127.0.0.2 so per-address limits on it do not land on the warm client (127.0.0.1).
    /// </summary>
    public static HttpClient Create(int connections, IPAddress? bindTo = null)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        if (bindTo is not null)
        {
            handler.ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(bindTo.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(new IPEndPoint(bindTo, 0));
                    await socket.ConnectAsync(IPAddress.Parse(context.DnsEndPoint.Host), context.DnsEndPoint.Port, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        // Timeouts are the runner's job (it cancels what is still in flight when the window closes).
        return new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public static HttpRequestMessage Post(Uri uri, byte[] body, string contentType, string? authorization = null)
    {
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = content, Version = HttpVersion.Version11 };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        return request;
    }

    public const string Form = "application/x-www-form-urlencoded";
    public const string Json = "application/json";

    /// <summary>client_secret_post body for client_credentials (RFC 6749 s.2.3.1 and s.4.4.2).</summary>
    public static byte[] ClientCredentialsForm(string clientId, string secret, string extra) =>
        Encoding.ASCII.GetBytes($"grant_type=client_credentials&client_id={Uri.EscapeDataString(clientId)}" +
                                $"&client_secret={Uri.EscapeDataString(secret)}{extra}");

    /// <summary>RFC 6749 s.2.3.1: id and secret are form-encoded before base64.</summary>
    public static string Basic(string clientId, string secret) =>
        "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Uri.EscapeDataString(clientId)}:{Uri.EscapeDataString(secret)}"));

    /// <summary>Reads the whole body into <paramref name="buffer"/> (grown if needed) and returns its length.</summary>
    public static async Task<int> ReadBodyAsync(HttpResponseMessage response, Ref<byte[]> buffer, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer.Value.AsMemory(total), ct)) > 0)
        {
            total += read;
            if (total == buffer.Value.Length)
            {
                var bigger = buffer.Value;
                Array.Resize(ref bigger, bigger.Length * 2);
                buffer.Value = bigger;
            }
        }

        return total;
    }
}

/// <summary>A mutable box, so an async method can hand back a grown buffer.</summary>
internal sealed class Ref<T>(T value)
{
    public T Value { get; set; } = value;
}
