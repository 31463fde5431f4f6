namespace TokenService.Keys;

/// <summary>GET /.well-known/jwks.json: RFC 7517 JWK Set of every published key.</summary>
public static class JwksEndpoint
{
    public const string Path = "/.well-known/jwks.json";

    public static IEndpointRouteBuilder MapJwks(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, Handle);
        return app;
    }

    public static IResult Handle(KeyRing ring, HttpContext context)
    {
        if (ring.Current is not { } snapshot)
        {
            context.Response.Headers.RetryAfter = "1";
            return TypedResults.Problem("signing keys are not loaded yet", statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        // Short cache: verifiers pick up a newly published key within minutes even without a kid miss.
        context.Response.Headers.CacheControl = "public, max-age=300";
        return TypedResults.Bytes(snapshot.JwksJson, "application/jwk-set+json");
    }
}
