using Microsoft.AspNetCore.Authentication.JwtBearer;
using ResourceApi.Graph;
using Shared.Observability;

namespace ResourceApi.Observability;

/// <summary>
/// What the ResourceApi adds to the shared telemetry (<see cref="Telemetry"/>): its own meter, a count of discovery
/// and JWKS fetches, and the outcome of every /graphql request.
/// </summary>
internal static class ResourceApiTelemetry
{
    public static WebApplicationBuilder AddResourceApiTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ResourceApiMetrics>();
        // JwtBearer's own HTTP client fetches discovery and the JWKS; counting there needs no change to how it caches.
        builder.Services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IServiceProvider>((o, services) => o.BackchannelHttpHandler ??=
                new KeyDocumentCounter(services.GetRequiredService<ResourceApiMetrics>()) { InnerHandler = new HttpClientHandler() });
        return builder.AddTelemetry("ResourceApi", ResourceApiMetrics.MeterName);
    }

    /// <summary>
    /// Call first in the pipeline: the outcome counter must see the final status of every /graphql request, including
    /// the 401s written by the Basic exchange and by authorization before the endpoint runs.
    /// </summary>
    public static WebApplication MapResourceApiTelemetry(this WebApplication app)
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
        app.MapMetrics();
        return app;
    }

    private sealed class KeyDocumentCounter(ResourceApiMetrics metrics) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var discovery = request.RequestUri?.AbsolutePath.EndsWith("/openid-configuration", StringComparison.Ordinal) ?? false;
            metrics.KeyDocumentFetched(jwks: !discovery);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
