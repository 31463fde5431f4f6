using Microsoft.AspNetCore.Hosting;
using ResourceApi.Auth;
using ResourceApi.Data;
using ResourceApi.Graph;
using ResourceApi.Observability;
using Shared.Observability;

namespace ResourceApi;

/// <summary>
/// The GraphQL data API. Not top-level statements: the test projects also reference the TokenService, whose entry
/// point is the global <c>Program</c>, so this one lives in its namespace and is public for WebApplicationFactory.
/// </summary>
public sealed class Program
{
    public static async Task<int> Main(string[] args)
    {
        await using var app = Build(args);
        await app.RunAsync();
        return 0;
    }

    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Logging.AddJsonLogs();
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(ResourceApiOptions.DefaultUrl);
        }

        var settings = builder.Configuration.Get<ResourceApiOptions>() ?? new ResourceApiOptions();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = settings.MaxRequestBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
        });

        builder.Services.AddOptions<ResourceApiOptions>().Bind(builder.Configuration);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddResourceData(builder.Configuration);
        builder.Services.AddResourceAuthentication();
        builder.Services.AddResourceGraphQL();
        builder.AddTelemetry();

        var app = builder.Build();
        app.MapTelemetry();
        app.UseBasicExchange();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/healthz", () => TypedResults.Text("ok"));
        app.MapGraphQL();
        return app;
    }
}
