namespace TokenService.WebConsole;

/// <summary>Issue 16: the operator Console under /console, in one AddConsole, one UseConsoleHeaders and one MapConsole line of
/// Program.cs.</summary>
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
        services.AddSingleton<EndedConsoleSessions>();
        services.AddSingleton<ConsoleUserStore>();
        services.AddSingleton<ConsoleSubmissions>();
        return services;
    }

    /// <summary>
    /// Every answer under /console carries the Console's headers (<see cref="ConsolePage.SecurityHeaders"/>): the pages,
    /// the assets and redirects, and also what no Console endpoint writes, a 404 or 405 from routing and a 500 from the
    /// exception handler. Set as the answer starts, so the handlers that clear or rewrite headers before that cannot
    /// drop them. Early in the pipeline, before UseExceptionHandler.
    /// </summary>
    public static IApplicationBuilder UseConsoleHeaders(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (context.Request.Path.StartsWithSegments(ConsoleSessions.CookiePath))
            {
                context.Response.OnStarting(() =>
                {
                    ConsolePage.SecurityHeaders(context.Response);
                    return Task.CompletedTask;
                });
            }

            return next(context);
        });

    public static IEndpointRouteBuilder MapConsole(this IEndpointRouteBuilder app)
    {
        // Antiforgery is checked by ConsoleGate and the sign-in handler themselves, on every POST.
        // The security headers come from UseConsoleHeaders, for every answer under /console.
        var console = app.MapGroup("/console").DisableAntiforgery().ExcludeFromDescription();
        ConsoleAssets.Map(console);
        SignInPages.Map(console);

        var pages = console.MapGroup("").AddEndpointFilter(ConsoleGate.FilterAsync);
        pages.MapGet("/", () => TypedResults.Redirect("/console/applications"));
        ApplicationsPages.Map(pages);
        PoliciesPages.Map(pages);
        KeysPage.Map(pages);
        UsersPages.Map(pages);
        InspectorPage.Map(pages);
        AuditPage.Map(pages);
        return app;
    }
}
