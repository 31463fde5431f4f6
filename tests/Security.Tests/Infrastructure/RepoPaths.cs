using System.Net;
using System.Net.Sockets;

namespace Security.Tests.Infrastructure;

/// <summary>Where the repository and the built TokenService binary are, and free loopback ports.</summary>
public static class RepoPaths
{
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "TokenService.slnx")))
                {
                    return dir.FullName;
                }
            }

            // Artifacts may live outside the repository (ArtifactsPath): fall back to the source tree of this file.
            return Path.GetFullPath(Path.Combine(ThisDirectory(), "..", "..", ".."));
        }
    }

    /// <summary>$ArtifactsPath/bin/TokenService/debug when ArtifactsPath is set, else the repository's artifacts/ (make test).</summary>
    public static string TokenServiceDll
    {
        get
        {
            var artifacts = Environment.GetEnvironmentVariable("ArtifactsPath") is { Length: > 0 } a ? a : Path.Combine(Root, "artifacts");
            var dll = Path.Combine(artifacts, "bin", "TokenService", "debug", "TokenService.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException($"build the TokenService first: {dll} is missing");
        }
    }

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

    private static string ThisDirectory([System.Runtime.CompilerServices.CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
