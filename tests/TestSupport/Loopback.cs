using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace TestSupport;

/// <summary>Free loopback ports, waiting for a service to answer, and callers from other loopback addresses: what the
/// multi-process tests need.</summary>
public static class Loopback
{
    /// <summary>
    /// A port nobody listens on right now, from the OS's ephemeral range, or from [from, to] when given (the local
    /// PostgreSQL clusters keep to their own range).
    /// </summary>
    public static int FreePort(int from = 0, int to = 0)
    {
        for (var port = from; from > 0 && port <= to; port++)
        {
            try
            {
                using var probe = new TcpListener(IPAddress.Loopback, port);
                probe.Start();
                return port;
            }
            catch (SocketException)
            {
            }
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Polls <paramref name="path"/> until it answers 2xx; a refused connection or a 503 means "not yet".</summary>
    public static async Task WaitUntilReadyAsync(HttpClient client, string path = "/readyz", int seconds = 15, Func<bool>? gaveUp = null)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            if (gaveUp?.Invoke() == true)
            {
                throw new InvalidOperationException($"the service stopped before {path} answered");
            }

            try
            {
                using var response = await client.GetAsync(path);
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"{client.BaseAddress}{path.TrimStart('/')} did not answer 2xx in {seconds} s");
    }

    /// <summary>
    /// An HttpClient whose sockets leave from <paramref name="source"/> (any 127.0.0.0/8 address is ours on Linux): a
    /// stranger at 127.0.0.2 beside a caller at 127.0.0.1, as per-address limits see them.
    /// </summary>
    public static HttpClient ClientFrom(IPAddress source, Uri baseAddress, TimeSpan timeout) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, context.DnsEndPoint.Port), ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    { BaseAddress = baseAddress, Timeout = timeout };
}
