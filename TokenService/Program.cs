using Shared.Hosting;
using Shared.Observability;
using TokenService;
using TokenService.Applications;
using TokenService.Audit;
using TokenService.Authorize;
using TokenService.Changes;
using TokenService.Cli;
using TokenService.Discovery;
using TokenService.Health;
using TokenService.Hosting;
using TokenService.Introspection;
using TokenService.Issuance;
using TokenService.Keys;
using TokenService.Observability;
using TokenService.OpenApi;
using TokenService.Revocation;
using TokenService.Token;
using TokenService.UserInfo;
using TokenService.Users;
using TokenService.WebConsole;

// The same binary is the service and the ops tool: `TokenService migrate`, `TokenService applications create ...`.
// Any first argument that is not a setting is a command, so a typo is refused and never starts the server.
if (OpsCli.Handles(args))
{
    return await OpsCli.RunAsync(args, Console.Out, Console.Error);
}

if (OpsCli.CheckHostArguments(args) is { } usage)
{
    return await OperatorError.ReportAsync(usage);
}

try
{
    var app = BuildApp(args);
    var keys = app.Services.GetRequiredService<KeyRingRefresher>();
    await app.RunAsync();
    return keys.RefusedSetting is { } refused ? await OperatorError.ReportAsync(OperatorError.From(refused)) : 0;
}
catch (Exception e) when (e is not HostAbortedException)
{
    // A setting, the database or the port: one line naming it, never a stack trace (issue 13).
    // HostAbortedException is how WebApplicationFactory stops this method once it has the host: let it through.
    return await OperatorError.ReportAsync(OperatorError.From(e));
}

static WebApplication BuildApp(string[] args)
{
    var builder = WebApplication.CreateBuilder(args);
    builder.Logging.AddServiceLogs(builder.Configuration);
    builder.WebHost.ConfigureKestrel(kestrel =>
    {
        kestrel.AddServerHeader = false;
        kestrel.Limits.MaxRequestBodySize = 1024 * 1024;
        kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
    });

    // Options (validated at start), database, hashing and the stores the ops CLI shares; then one line per feature.
    builder.Services.AddTokenServiceCore(builder.Configuration);
    builder.Services.AddSigningKeys();
    builder.Services.AddAccessTokens();
    builder.Services.AddChangeListener();
    builder.Services.AddTokenEndpoint();
    builder.Services.AddDiscovery();
    builder.Services.AddRevocation();
    builder.Services.AddManagementAuthentication();
    builder.Services.AddUserSignIn();
    builder.Services.AddProblemDetails();
    builder.Services.AddBrowserCors();
    builder.Services.AddExceptionHandler<DatabaseUnavailableHandler>();
    builder.Services.AddHostedService<Shared.Database.ConnectionBudget>();
    builder.Services.AddSingleton<TokenServiceMetrics>();
    builder.AddTelemetry("TokenService", TokenServiceMetrics.MeterName);
    builder.Services.AddApiDocumentation();
    builder.Services.AddAuditHost();
    builder.Services.AddConsole(builder.Configuration);
    builder.Services.AddShutdownDrain(builder.Configuration, builder.Environment);

    var app = builder.Build();

    // First: every limit and log after this sees the real caller's address (nothing is trusted unless configured).
    app.UseTrustedProxies(app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<TokenServiceOptions>>()
        .Value.ForwardedHeaders);
    app.UseShutdownDrain();
    app.UseConsoleHeaders();
    app.UseExceptionHandler();
    app.UseStatusCodePages();
    app.UseBrowserCors();

    app.MapHealth();
    // Created now, not at the first token request, so a scrape right after start already lists every series.
    app.Services.GetRequiredService<TokenServiceMetrics>();
    app.MapMetrics();
    app.MapApiDocumentation();
    app.MapDiscovery();
    app.MapJwks();
    app.MapToken();
    app.MapApplications();
    app.MapUsers();
    app.MapRevocation();
    app.MapIntrospection();
    app.MapRevocationFeed();
    app.MapAuthorize();
    app.MapUserInfo();
    app.MapAudit();
    app.MapConsole();
    return app;
}
