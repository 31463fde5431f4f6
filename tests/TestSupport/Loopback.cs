using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace TestSupport;

/// <summary>Free loopback ports, waiting for a service to answer, and callers from other loopback addresses: what the
/// multi-process tests need.</summary>
public static class Loopback
{
    // Below the kernel's ephemeral range (ip_local_port_range, 32768-60999 by default), which it hands to every outgoing
    // connection and port-0 bind on the machine. A test that stops a server and starts it again on the same port (a
    // database restart, a rolling restart) found its port taken in that gap by some other test's connection (CI: the
    // outage test's PostgreSQL, "could not bind: Address already in use"). Ports here are never taken that way.
    private const int LowestPort = 20000;
    private static readonly int HighestPort = Math.Min(32767, EphemeralLow() - 1);

    // A random start per process (test projects run in parallel), then one after another: never the same port twice here.
    private static int next = Random.Shared.Next(0, Math.Max(1, HighestPort - LowestPort));

    /// <summary>A port nobody listens on right now, below the ephemeral range (see above).</summary>
    public static int FreePort()
    {
        for (var attempt = 0; HighestPort - LowestPort > 100 && attempt < 500; attempt++)
        {
            var port = LowestPort + (int)((uint)Interlocked.Increment(ref next) % (uint)(HighestPort - LowestPort));
            if (IsFree(port))
            {
                return port;
            }
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var probe = new TcpListener(IPAddress.Loopback, port);
            probe.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int EphemeralLow()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range")
                .Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 32768;
        }
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
