using Npgsql;
using Shared.Hosting;
using TokenService.Keys;

namespace TokenService.Health;

/// <summary>
/// /healthz: the process answers. /readyz: it can do its job (database reachable, signing key loaded) and is not
/// stopping: while it drains (Shared/Hosting/ShutdownDrain.cs) it still serves, but tells the load balancer to stop sending.
/// </summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Text("ok"));
        app.MapGet("/readyz", ReadyAsync);
        return app;
    }

    public static async Task<IResult> ReadyAsync(NpgsqlDataSource db, KeyRing ring, ShutdownDrain drain, CancellationToken ct)
    {
        if (drain.Draining)
        {
            return TypedResults.Json(new { status = "draining" }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        var database = await CanReachAsync(db, ct);
        var keys = ring.Current is not null;
        var body = new { status = database && keys ? "ready" : "not ready", database, signingKey = keys };
        return database && keys ? TypedResults.Ok(body) : TypedResults.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<bool> CanReachAsync(NpgsqlDataSource db, CancellationToken ct)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(2));
            await using var command = db.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(timeout.Token);
            return true;
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException or InvalidOperationException)
        {
            return false;
        }
    }
}
