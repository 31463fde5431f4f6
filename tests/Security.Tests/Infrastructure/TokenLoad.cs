using TestSupport;

namespace Security.Tests.Infrastructure;

/// <summary>Client-credentials requests in a loop until stopped, so a fault strikes with requests in flight.</summary>
public static class TokenLoad
{
    public static Task RunAsync(HttpClient client, string clientId, string secret, CancellationToken stop) => Task.Run(async () =>
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await TokenServiceHost.GetTokenAsync(client, clientId, secret);
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException or TaskCanceledException)
            {
                // The process is being killed under this loop: failures are the point, not a finding.
            }
        }
    }, CancellationToken.None);
}
