using Shared.Database;

namespace ResourceApi.Data;

/// <summary>
/// The ResourceApi's schema: db/resource, embedded in this assembly, history in <c>resource_schema_migrations</c>.
/// The ops CLI (<c>TokenService migrate</c>) applies it after the TokenService's own set.
/// </summary>
public static class ResourceSchemaMigrations
{
    public static MigrationSet All() =>
        MigrationSet.FromEmbeddedResources(
            "resource", "resource_schema_migrations", typeof(ResourceSchemaMigrations).Assembly, "resource/");
}
