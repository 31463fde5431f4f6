using GraphQL;

namespace ResourceApi.Graph;

internal static class ResolveContextExtensions
{
    /// <summary>A service of the request; resolvers are built once with the schema, so they ask per call.</summary>
    public static T Service<T>(this IResolveFieldContext context)
        where T : notnull => context.RequestServices!.GetRequiredService<T>();
}
