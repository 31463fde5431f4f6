using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using ResourceApi.Graph;

namespace ResourceApi.Observability;

/// <summary>
/// OpenTelemetry for the ResourceApi: our meter, ASP.NET Core, HttpClient, runtime and Npgsql metrics at
/// <c>/metrics</c> (Prometheus). Traces and OTLP export only when OTEL_EXPORTER_OTLP_ENDPOINT is set.
/// </summary>
internal static class Telemetry
{
    public const string MetricsPath = "/metrics";

    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ResourceApiMetrics>();
        // JwtBearer's own HTTP client fetches discovery and the JWKS; counting there needs no change to how it caches.
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IServiceProvider>((o, services) => o.BackchannelHttpHandler ??=
                new KeyDocumentCounter(services.GetRequiredService<ResourceApiMetrics>()) { InnerHandler = new HttpClientHandler() });
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(builder.Configuration["OTEL_SERVICE_NAME"] ?? "ResourceApi"))
            .WithMetrics(metrics => metrics
                .AddMeter(ResourceApiMetrics.MeterName)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddNpgsqlInstrumentation()
                .AddPrometheusExporter());
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry
                .WithTracing(tracing => tracing.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddNpgsql())
                .UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>
    /// Call first in the pipeline: the outcome counter must see the final status of every /graphql request, including
    /// the 401s written by the Basic exchange and by authorization before the endpoint runs.
    /// </summary>
    public static WebApplication MapTelemetry(this WebApplication app)
    {
        var metrics = app.Services.GetRequiredService<ResourceApiMetrics>();
        app.Use(async (context, next) =>
        {
            await next(context);
            if (context.Request.Path.Equals(GraphQLEndpoint.Path, StringComparison.OrdinalIgnoreCase))
            {
                metrics.GraphQLAnswered(context.Response.StatusCode);
            }
        });
        app.MapPrometheusScrapingEndpoint(MetricsPath);
        return app;
    }

    private sealed class KeyDocumentCounter(ResourceApiMetrics metrics) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            metrics.KeyDocumentFetched(jwks: !(request.RequestUri?.AbsolutePath.EndsWith("/openid-configuration", StringComparison.Ordinal) ?? false));
            return base.SendAsync(request, cancellationToken);
        }
    }
}
