namespace TokenService.Audit;

/// <summary>The audit trail's services, shared by the web host and the CLI (the retention prune runs in the host only).</summary>
public static class AuditSetup
{
    public static IServiceCollection AddAudit(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<AuditOptions>().Bind(configuration.GetSection("Audit"))
            .Validate(o => o.RetentionDays >= 0, "Audit:RetentionDays must be 0 (keep forever) or more")
            // A bad retention stops the service at start with one line, not at the first hourly prune (outside review).
            .ValidateOnStart();
        services.AddSingleton<AuditStore>();
        services.AddSingleton<AuditTrail>();
        return services;
    }

    /// <summary>Host only: the request context (to name the actor) and the hourly retention prune.</summary>
    public static IServiceCollection AddAuditHost(this IServiceCollection services)
    {
        services.AddHttpContextAccessor();
        services.AddSingleton<AuditRetention>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditRetention>());
        return services;
    }
}
