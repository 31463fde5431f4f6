using Shared.Hosting;

namespace ResourceApi.Auth;

/// <summary>
/// Until its first revocation poll has succeeded this instance cannot tell a revoked token from a good one (issue 11
/// point 7): /readyz answers 503, so a load balancer sends it nothing, and a request with credentials is held briefly
/// for that first poll and then refused with 503 and Retry-After rather than served on trust.
/// </summary>
internal static class RevocationReadiness
{
    public const string Path = "/readyz";

    /// <summary>How long a request with credentials waits for the first poll before 503 (the poll is usually done in ms).</summary>
    public static readonly TimeSpan FirstPollWait = TimeSpan.FromSeconds(2);

    public static IEndpointRouteBuilder MapReadiness(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, (RevocationPoller poller, ShutdownDrain drain, HttpContext context) =>
        {
            context.Response.Headers.CacheControl = "no-store";
            // Stopping (Shared/Hosting/ShutdownDrain.cs): still serving, but the balancer should send nothing new.
            if (drain.Draining)
            {
                return Results.Text("draining", statusCode: StatusCodes.Status503ServiceUnavailable);
            }

            if (poller.Synchronised)
            {
                return Results.Text("ready");
            }

            context.Response.Headers.RetryAfter = "1";
            return Results.Text("the revocation feed has not been read yet", statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        return app;
    }

    /// <summary>Before the Basic exchange and JwtBearer: nothing with credentials is served before the first poll.</summary>
    public static IApplicationBuilder UseRevocationReadiness(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var poller = context.RequestServices.GetRequiredService<RevocationPoller>();
        if (poller.Synchronised || context.Request.Headers.Authorization.Count == 0)
        {
            await next(context);
            return;
        }

        try
        {
            await poller.FirstPoll.WaitAsync(FirstPollWait, context.RequestAborted);
        }
        catch (TimeoutException)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "1";
            await Challenges.WriteErrorsAsync(context.Response,
                [new { message = "not ready: the revocation list has not been read yet",
                    extensions = new { code = "temporarily_unavailable" } }],
                context.RequestAborted);
            return;
        }

        await next(context);
    });
}
