using System.Reflection;
using GraphQL;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Shared.Protocol;

namespace ResourceApi.Graph.Playground;

/// <summary>
/// The GraphQL playground and the schema as SDL (CONTRACT.md "Additions (wave 2)"):
/// <list type="bullet">
/// <item><c>GET /graphql</c> with <c>Accept: text/html</c> and no <c>query</c> parameter: a small page of our own
/// (HTML, script and style embedded in this assembly, served from here: no CDN) where a user pastes a token or
/// Basic credentials, loads the schema by standard introspection and runs queries. Anonymous: it holds no data; its
/// requests carry the user's credentials. On by default in Development; <c>Playground=true</c> elsewhere.</item>
/// <item><c>GET /graphql/schema.graphql</c>: the SDL, each field's required scopes in its description; it needs a
/// token with an API scope, like introspection.</item>
/// </list>
/// The page and the API share GET /graphql; <see cref="HtmlPageMatcherPolicy"/> picks the page only for a browser
/// navigation, so the API endpoint keeps its authorization metadata untouched.
/// </summary>
internal static class PlaygroundEndpoints
{
    public const string SchemaPath = GraphQLEndpoint.Path + "/schema.graphql";

    private const string Security = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static readonly Dictionary<string, (string ContentType, byte[] Body)> Assets = new(StringComparer.Ordinal)
    {
        [""] = ("text/html; charset=utf-8", Read("playground.html")),
        ["/playground.js"] = ("text/javascript; charset=utf-8", Read("playground.js")),
        ["/playground.css"] = ("text/css; charset=utf-8", Read("playground.css")),
    };

    public static IServiceCollection AddGraphQLPlayground(this IServiceCollection services)
    {
        services.AddSingleton<MatcherPolicy, HtmlPageMatcherPolicy>();
        return services;
    }

    public static IEndpointRouteBuilder MapGraphQLPlayground(this IEndpointRouteBuilder app)
    {
        app.MapGet(GraphQLEndpoint.Path, (HttpContext c, IOptions<ResourceApiOptions> o, IHostEnvironment e) =>
            ServeAsset(c, o.Value, e, ""))
            .AllowAnonymous().WithMetadata(HtmlPageMatcherPolicy.Marker);
        app.MapGet(GraphQLEndpoint.Path + "/{asset:regex(^playground\\.(js|css)$)}",
            (HttpContext c, string asset, IOptions<ResourceApiOptions> o, IHostEnvironment e) => ServeAsset(c, o.Value, e, "/" + asset))
            .AllowAnonymous();
        app.MapGet(SchemaPath, ServeSchemaAsync).RequireAuthorization();
        return app;
    }

    public static bool IsEnabled(ResourceApiOptions options, IHostEnvironment environment) =>
        options.Playground ?? environment.IsDevelopment();

    private static async Task ServeAsset(HttpContext context, ResourceApiOptions options, IHostEnvironment environment, string name)
    {
        if (!IsEnabled(options, environment) || !Assets.TryGetValue(name, out var asset))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        context.Response.ContentType = asset.ContentType;
        context.Response.Headers.ContentSecurityPolicy = Security;
        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.Headers["Referrer-Policy"] = "no-referrer";
        context.Response.Headers.CacheControl = "no-cache";
        await context.Response.Body.WriteAsync(asset.Body, context.RequestAborted);
    }

    /// <summary>The SDL, printed once per process from the schema itself (so it cannot drift from what runs).</summary>
    private static async Task ServeSchemaAsync(HttpContext context, ResourceSchema schema)
    {
        if (!ScopePolicy.GrantedScopes(context.User).Overlaps(ScopePolicy.Introspection))
        {
            context.Response.Headers.WWWAuthenticate = Auth.Challenges.InsufficientScope(ScopePolicy.Introspection);
            await GraphQLResponse.WriteErrorAsync(context, StatusCodes.Status403Forbidden,
                $"the schema needs a token with any API scope ({string.Join(", ", Scopes.ApiScopes)})");
            return;
        }

        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsync(Sdl.Value(schema), context.RequestAborted);
    }

    private static byte[] Read(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("ResourceApi.Graph.Playground." + name)
            ?? throw new InvalidOperationException($"embedded resource {name} is missing");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static class Sdl
    {
        private static string? printed;

        public static string Value(ResourceSchema schema)
        {
            schema.Initialize();
            return printed ??= schema.Print();
        }
    }
}

/// <summary>
/// Chooses between the two GET /graphql endpoints: the page for a request that asks for HTML and carries no
/// <c>query</c> (a browser navigation), the API for everything else (curl, GraphQL clients, GET queries).
/// </summary>
internal sealed class HtmlPageMatcherPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    public static readonly object Marker = new HtmlPageMarker();

    public override int Order => 0;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) =>
        endpoints.Any(e => e.Metadata.GetMetadata<HtmlPageMarker>() is not null);

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var settings = httpContext.RequestServices.GetRequiredService<IOptions<ResourceApiOptions>>().Value;
        var wantsPage = PlaygroundEndpoints.IsEnabled(settings, httpContext.RequestServices.GetRequiredService<IHostEnvironment>()) &&
            !httpContext.Request.Query.ContainsKey("query") &&
            httpContext.Request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals("text/html", StringComparison.OrdinalIgnoreCase));
        for (var i = 0; i < candidates.Count; i++)
        {
            var isPage = candidates[i].Endpoint.Metadata.GetMetadata<HtmlPageMarker>() is not null;
            if (isPage != wantsPage && candidates.Count > 1)
            {
                candidates.SetValidity(i, false);
            }
        }

        return Task.CompletedTask;
    }

    private sealed class HtmlPageMarker;
}
