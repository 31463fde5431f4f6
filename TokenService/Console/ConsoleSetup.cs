namespace TokenService.WebConsole;

/// <summary>Issue 16: the operator Console under /console, in one AddConsole and one MapConsole line of Program.cs.</summary>
public static class ConsoleSetup
{
    public static IServiceCollection AddConsole(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ConsoleOptions>().Bind(configuration.GetSection("Console"))
            .Validate(o => o.IdleTimeoutSeconds is >= 60 and <= 86400, "Console:IdleTimeoutSeconds must be 60 to 86400")
            .Validate(o => o.AbsoluteTimeoutSeconds >= o.IdleTimeoutSeconds && o.AbsoluteTimeoutSeconds <= 7 * 86400,
                "Console:AbsoluteTimeoutSeconds must be at least the idle timeout and at most 7 days")
            .Validate(o => Uri.TryCreate(o.ResourceApiUrl, UriKind.Absolute, out var u) && u.Scheme is "http" or "https",
                "Console:ResourceApiUrl must be an absolute http(s) URL")
            .ValidateOnStart();
        services.AddSingleton<ConsoleSessions>();
        services.AddSingleton<ConsoleUserStore>();
        services.AddSingleton<ConsoleSubmissions>();
        return services;
    }

    public static IEndpointRouteBuilder MapConsole(this IEndpointRouteBuilder app)
    {
        // Antiforgery is checked by ConsoleGate and the sign-in handler themselves, on every POST.
        var console = app.MapGroup("/console").DisableAntiforgery().ExcludeFromDescription();
        console.AddEndpointFilter((invocation, next) =>
        {
            ConsolePage.SecurityHeaders(invocation.HttpContext.Response);
            return next(invocation);
        });
        ConsoleAssets.Map(console);
        SignInPages.Map(console);

        var pages = console.MapGroup("").AddEndpointFilter(ConsoleGate.FilterAsync);
        pages.MapGet("/", () => TypedResults.Redirect("/console/applications"));
        ApplicationsPages.Map(pages);
        KeysPage.Map(pages);
        UsersPages.Map(pages);
        InspectorPage.Map(pages);
        AuditPage.Map(pages);
        return app;
    }
}
