using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Shared.Hosting;

/// <summary><c>Shutdown:DrainSeconds</c>: how long a stopping instance keeps serving after it stopped saying it is ready.</summary>
public sealed class ShutdownOptions
{
    public const int MaxDrainSeconds = 300;

    /// <summary>Outside Development; a developer's Ctrl-C has no load balancer to wait for.</summary>
    public const int DefaultDrainSeconds = 5;

    public int DrainSeconds { get; set; } = DefaultDrainSeconds;
}

/// <summary>
/// Graceful drain (issue 18 point 4). Without it SIGTERM closes the listener at once, and a load balancer that has not
/// yet noticed sends the next requests to a closed port. On SIGTERM (any host StopAsync) the instance first marks
/// itself draining, so /readyz answers 503 "draining", and keeps serving for <c>Shutdown:DrainSeconds</c>: long enough
/// for the balancer's health check to take it out of rotation. Only then does the host stop the web server, which lets
/// the requests still open finish. StoppingAsync of an <see cref="IHostedLifecycleService"/> runs before every hosted
/// service's StopAsync, the web server's included.
/// </summary>
public sealed partial class ShutdownDrain(IOptions<ShutdownOptions> options, ILogger<ShutdownDrain> logger) : IHostedLifecycleService
{
    private int draining;

    public bool Draining => Volatile.Read(ref draining) == 1;

    public TimeSpan Duration { get; } = TimeSpan.FromSeconds(options.Value.DrainSeconds);

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        // Once: a host stopped twice (a test factory's dispose after StopAsync) does not drain twice.
        if (Interlocked.Exchange(ref draining, 1) == 1)
        {
            return;
        }

        LogDraining(logger, Duration.TotalSeconds);
        try
        {
            await Task.Delay(Duration, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The host's ShutdownTimeout ran out (it is set above the drain, so only when stopping is forced): stop now.
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: /readyz answers 503 draining; serving for {Seconds} s more")]
    private static partial void LogDraining(ILogger logger, double seconds);
}

public static class ShutdownDrainSetup
{
    /// <summary>Time the server is given after the drain for the requests still open (the host's default timeout).</summary>
    private static readonly TimeSpan AfterDrain = TimeSpan.FromSeconds(30);

    public static IServiceCollection AddShutdownDrain(this IServiceCollection services, IConfiguration configuration,
        IHostEnvironment environment)
    {
        services.AddOptions<ShutdownOptions>()
            .Configure(o => o.DrainSeconds = environment.IsDevelopment() ? 0 : ShutdownOptions.DefaultDrainSeconds)
            .Bind(configuration.GetSection("Shutdown"))
            .Validate(o => o.DrainSeconds is >= 0 and <= ShutdownOptions.MaxDrainSeconds,
                $"Shutdown:DrainSeconds must be between 0 and {ShutdownOptions.MaxDrainSeconds}")
            .ValidateOnStart();
        services.AddSingleton<ShutdownDrain>();
        services.AddHostedService(sp => sp.GetRequiredService<ShutdownDrain>());
        // The drain runs inside the host's ShutdownTimeout, which would otherwise cut it short and then abort the requests
        // still open. A bad value fails here, at build, with the validation's one line.
        services.AddOptions<HostOptions>().Configure<IOptions<ShutdownOptions>>((host, drain) =>
        {
            var needed = TimeSpan.FromSeconds(drain.Value.DrainSeconds) + AfterDrain;
            if (host.ShutdownTimeout < needed)
            {
                host.ShutdownTimeout = needed;
            }
        });
        return services;
    }

    /// <summary>
    /// While draining every response says <c>Connection: close</c>: a client on a kept-alive connection (a balancer that
    /// pools, or one that balances per connection) opens its next one elsewhere instead of finding this one closed.
    /// </summary>
    public static IApplicationBuilder UseShutdownDrain(this IApplicationBuilder app)
    {
        var drain = app.ApplicationServices.GetRequiredService<ShutdownDrain>();
        return app.Use(async (context, next) =>
        {
            if (drain.Draining)
            {
                context.Response.Headers.Connection = "close";
            }

            await next(context);
        });
    }
}
