using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace TokenService.Observability;

/// <summary>
/// OpenTelemetry for the TokenService: our meter, ASP.NET Core, HttpClient, .NET runtime and Npgsql metrics, scraped
/// by Prometheus at <c>/metrics</c>. Traces and OTLP export only when OTEL_EXPORTER_OTLP_ENDPOINT is set: without a
/// place to send spans, recording them would only cost the hot path.
/// </summary>
public static class Telemetry
{
    public const string MetricsPath = "/metrics";

    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TokenServiceMetrics>();
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(builder.Configuration["OTEL_SERVICE_NAME"] ?? "TokenService"))
            .WithMetrics(metrics => metrics
                .AddMeter(TokenServiceMetrics.MeterName)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddNpgsqlInstrumentation()
                .AddPrometheusExporter());
        if (otlp)
        {
            // UseOtlpExporter reads the standard OTEL_EXPORTER_OTLP_* variables (endpoint, protocol, headers).
            telemetry
                .WithTracing(tracing => tracing.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddNpgsql())
                .UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>
    /// The Prometheus text endpoint. Unauthenticated, like /healthz: it holds counts, never ids or secrets; expose it
    /// to the scraper only (docs/operations.md).
    /// </summary>
    public static IEndpointRouteBuilder MapTelemetry(this IEndpointRouteBuilder app)
    {
        // Created now, not at the first token request, so a scrape right after start already lists every series.
        app.ServiceProvider.GetRequiredService<TokenServiceMetrics>();
        app.MapPrometheusScrapingEndpoint(MetricsPath);
        return app;
    }
}
