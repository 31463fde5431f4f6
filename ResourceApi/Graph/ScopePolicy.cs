using System.Security.Claims;
using GraphQL.Builders;
using GraphQL.Types;
using Shared.Protocol;

namespace ResourceApi.Graph;

/// <summary>
/// Per-field scope policies. A field declares the scopes that allow it, next to its definition:
/// <c>Field&lt;...&gt;("metrics").RequireScopes(Scopes.MetricRead, Scopes.Admin)</c>. Any one of them is enough.
/// Root fields and nested fields alike: a nested field that reads other data (a Metric's Data Pool) carries the
/// scope of that data, so a token cannot reach it through a side door. The list is stored in the field's metadata
/// (as graphql-dotnet's own AuthorizeWithPolicy does), enforced by <see cref="ScopeRequirements"/> before execution,
/// and written into the description so client developers see it in introspection and the SDL.
/// </summary>
internal static class ScopePolicy
{
    public const string MetadataKey = "ResourceApi.RequiredScopes";

    public const string SharedCatalogKey = "ResourceApi.ChangesSharedCatalog";

    /// <summary>
    /// What introspection (<c>__schema</c>, <c>__type</c>) needs: any scope of an API. A token that can call
    /// nothing learns nothing about the schema; <c>__typename</c> stays open to every authenticated caller.
    /// </summary>
    public static readonly string[] Introspection = [.. Scopes.ApiScopes];

    public static FieldBuilder<TSource, TReturn> RequireScopes<TSource, TReturn>(this FieldBuilder<TSource, TReturn> field,
        params string[] anyOf)
    {
        if (anyOf.Length == 0 || anyOf.Any(s => !Scopes.IsKnown(s)))
        {
            throw new ArgumentException($"field '{field.FieldType.Name}' must require at least one known scope", nameof(anyOf));
        }

        field.FieldType.Metadata[MetadataKey] = anyOf;
        field.FieldType.Description = Append(field.FieldType.Description, "Requires scope: " + string.Join(" or ", anyOf) + ".");
        return field;
    }

    /// <summary>
    /// The catalog (Data Sources, Data Pools, Metrics) is shared by every tenant: a token limited to one tenant may
    /// read its rows but never change what the other tenants see, whatever its scopes.
    /// </summary>
    public static FieldBuilder<TSource, TReturn> ChangesSharedCatalog<TSource, TReturn>(this FieldBuilder<TSource, TReturn> field)
    {
        field.FieldType.Metadata[SharedCatalogKey] = true;
        field.FieldType.Description = Append(field.FieldType.Description, "Refused to tenant-scoped tokens: the catalog is shared.");
        return field;
    }

    /// <summary>The scopes any one of which allows the field; null when the field declares none.</summary>
    public static IReadOnlyList<string>? RequiredScopes(this FieldType field) =>
        field.Metadata.TryGetValue(MetadataKey, out var value) ? value as string[] : null;

    public static bool IsSharedCatalogChange(this FieldType field) => field.Metadata.ContainsKey(SharedCatalogKey);

    /// <summary>RFC 9068 s.2.2.3: <c>scope</c> is one space-delimited string (an array of claims is tolerated).</summary>
    public static IReadOnlySet<string> GrantedScopes(ClaimsPrincipal? user) =>
        (user?.FindAll(ClaimNames.Scope) ?? []).SelectMany(c => Scopes.Split(c.Value)).ToHashSet(StringComparer.Ordinal);

    /// <summary>The tenant the token is limited to; null means every tenant.</summary>
    public static string? TenantOf(ClaimsPrincipal? user) => user?.FindFirst(ClaimNames.Tenant)?.Value;

    private static string Append(string? description, string sentence) =>
        string.IsNullOrEmpty(description) ? sentence : description + " " + sentence;
}
