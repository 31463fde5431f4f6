using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using ResourceApi.Auth;
using ResourceApi.Data;
using ResourceApi.Graph;
using ResourceApi.Observability;
using Shared.Database;
using Shared.Hosting;
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
        try
        {
            await using var app = Build(args);
            await app.RunAsync();
            return 0;
        }
        catch (Exception e) when (e is not HostAbortedException)
        {
            // A setting, the database or the port: one line naming it, never a stack trace (issue 13).
            return await OperatorError.ReportAsync(OperatorError.From(e));
        }
    }

    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Logging.AddServiceLogs(builder.Configuration);
        if (string.IsNullOrEmpty(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(ResourceApiOptions.DefaultUrl);
        }

        // Read once, here, and checked before the server starts: a bad setting stops it with one line. The data source
        // itself is made at the first query, so DATABASE_URL is parsed now to fail at start, not at the first request.
        _ = Postgres.ConnectionStringFrom(key => builder.Configuration[key]);
        builder.Services.AddOptions<ResourceApiOptions>().Bind(builder.Configuration).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ResourceApiOptions>, ResourceApiOptionsValidator>();
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<ResourceApiOptions>>((kestrel, options) =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.Value.MaxRequestBodyBytes;
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
        });

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddResourceData(builder.Configuration);
        builder.Services.AddHostedService<Shared.Database.ConnectionBudget>();
        builder.Services.AddResourceAuthentication();
        SkipDataProtectionKeyRing(builder.Services);
        builder.Services.AddResourceGraphQL();
        builder.AddResourceApiTelemetry();
        builder.Services.AddShutdownDrain(builder.Configuration, builder.Environment);

        var app = builder.Build();
        app.MapResourceApiTelemetry();
        app.UseShutdownDrain();
        app.UseRevocationReadiness();
        app.UseBasicExchange();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/healthz", () => TypedResults.Text("ok"));
        app.MapReadiness();
        app.MapGraphQL();
        return app;
    }

    /// <summary>
    /// The API sets no cookies and protects no payloads (bearer tokens and Basic only), yet AddAuthentication brings
    /// ASP.NET Core Data Protection, whose hosted service creates a key ring at start: an unencrypted key file under
    /// ~/.aspnet and a warning saying so on every fresh machine. Nothing here asks for a protector, so the ring is not
    /// made; should something ever need one, it is still created on first use.
    /// </summary>
    private static void SkipDataProtectionKeyRing(IServiceCollection services)
    {
        var keyRingAtStart = services.FirstOrDefault(d =>
            d.ServiceType == typeof(IHostedService) && d.ImplementationType?.Name == "DataProtectionHostedService");
        if (keyRingAtStart is not null)
        {
            services.Remove(keyRingAtStart);
        }
    }
}
