using TokenService;
using TokenService.Audit;
using TokenService.Authorize;
using TokenService.Caching;
using TokenService.WebConsole;
using TokenService.Cli;
using TokenService.Discovery;
using TokenService.Health;
using TokenService.Issuance;
using TokenService.Keys;
using Shared.Observability;
using TokenService.Observability;
using TokenService.OpenApi;
using TokenService.Revocation;
using TokenService.Token;
using TokenService.UserInfo;

// The same binary is the service and the ops tool: `TokenService migrate`, `TokenService applications create ...`.
if (OpsCli.Handles(args))
{
    return await OpsCli.RunAsync(args, Console.Out, Console.Error);
}

var builder = WebApplication.CreateBuilder(args);
builder.Logging.AddJsonLogs();
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.AddServerHeader = false;
    kestrel.Limits.MaxRequestBodySize = 1024 * 1024;
    kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
});

builder.Services.AddTokenServiceCore(builder.Configuration);
builder.Services.AddSingleton<KeyRing>();
builder.Services.AddSingleton<KeyRingRefresher>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<KeyRingRefresher>());
builder.Services.AddSingleton<AccessTokenIssuer>();
builder.Services.AddSingleton<ClientAuthentication>();
builder.Services.AddSingleton<FailedAuthenticationLimiter>();
builder.Services.AddSingleton<ChangeFeed>();
builder.Services.AddHostedService(sp => sp.GetRequiredService<ChangeFeed>());
builder.Services.AddSingleton<ClientCredentialsGrant>();
builder.Services.AddSingleton<DiscoveryDocument>();
builder.Services.AddCredentialLifecycle();
builder.Services.AddUserSignIn();
builder.Services.AddProblemDetails();
builder.Services.AddBrowserCors();
builder.Services.AddExceptionHandler<DatabaseUnavailableHandler>();
builder.AddTelemetry();
builder.Services.AddApiDocumentation();
builder.Services.AddAuditHost();
builder.Services.AddConsole(builder.Configuration);

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseBrowserCors();

app.MapHealth();
app.MapTelemetry();
app.MapApiDocumentation();
app.MapDiscovery();
app.MapJwks();
app.MapToken();
app.MapCredentialLifecycle();
app.MapAuthorize();
app.MapUserInfo();
app.MapAudit();
app.MapConsole();

app.Run();
return 0;
