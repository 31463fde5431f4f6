namespace TokenService.Audit;

/// <summary>How long audit events are kept (setting Audit:RetentionDays; 0 keeps them forever).</summary>
public sealed class AuditOptions
{
    public int RetentionDays { get; set; } = 400;
}

/// <summary>Deletes audit events past the retention period once at start and then hourly (every instance may; it is idempotent).</summary>
public sealed partial class AuditRetention(AuditStore store, Microsoft.Extensions.Options.IOptions<AuditOptions> options, TimeProvider time,
    ILogger<AuditRetention> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            do
            {
                try
                {
                    var deleted = await PruneOnceAsync(stoppingToken);
                    if (deleted > 0)
                    {
                        LogPruned(logger, deleted);
                    }
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    LogPruneFailed(logger, e.GetType().Name);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping, or a host that never started being disposed (the port was taken): the host logs a
            // BackgroundService that ends in an exception as a Critical failure unless StopAsync was called first,
            // so stopping ends quietly here.
        }
    }

    public Task<int> PruneOnceAsync(CancellationToken ct) =>
        options.Value.RetentionDays <= 0 ? Task.FromResult(0)
            : store.PruneAsync(time.GetUtcNow() - TimeSpan.FromDays(options.Value.RetentionDays), ct);

    [LoggerMessage(7001, LogLevel.Information, "Pruned {Count} audit events past the retention period")]
    private static partial void LogPruned(ILogger logger, int count);

    [LoggerMessage(7002, LogLevel.Warning, "Audit retention prune failed: {Reason}")]
    private static partial void LogPruneFailed(ILogger logger, string reason);
}
