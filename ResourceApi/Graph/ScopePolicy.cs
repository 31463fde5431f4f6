using System.Security.Claims;
using GraphQL.Builders;
using GraphQL.Types;
using Shared.Protocol;

namespace ResourceApi.Graph;

/// <summary>
/// Per-field scope policies. A field declares the scopes that allow it, next to its definition:
/// <c>Field&lt;...&gt;("metrics").RequireScopes(Scopes.MetricRead, Scopes.Admin)</c>. Any one of them is enough.
/// The list is stored in the field's metadata (as graphql-dotnet's own AuthorizeWithPolicy does) and enforced by
/// <see cref="ScopeValidationRule"/> before execution; <see cref="Describe"/> also writes it into the description so
/// client developers see it in introspection.
/// </summary>
internal static class ScopePolicy
{
    public const string MetadataKey = "ResourceApi.RequiredScopes";

    public static FieldBuilder<TSource, TReturn> RequireScopes<TSource, TReturn>(this FieldBuilder<TSource, TReturn> field, params string[] anyOf)
    {
        if (anyOf.Length == 0 || anyOf.Any(s => !Scopes.IsKnown(s)))
        {
            throw new ArgumentException($"field '{field.FieldType.Name}' must require at least one known scope", nameof(anyOf));
        }

        field.FieldType.Metadata[MetadataKey] = anyOf;
        return field;
    }

    /// <summary>The scopes any one of which allows the field; null when the field declares none.</summary>
    public static IReadOnlyList<string>? RequiredScopes(this FieldType field) =>
        field.Metadata.TryGetValue(MetadataKey, out var value) ? value as string[] : null;

    /// <summary>RFC 9068 s.2.2.3: <c>scope</c> is one space-delimited string (an array of claims is tolerated).</summary>
    public static IReadOnlySet<string> GrantedScopes(ClaimsPrincipal? user) =>
        (user?.FindAll(ClaimNames.Scope) ?? []).SelectMany(c => Scopes.Split(c.Value)).ToHashSet(StringComparer.Ordinal);

    /// <summary>The tenant the token is limited to; null means every tenant.</summary>
    public static string? TenantOf(ClaimsPrincipal? user) => user?.FindFirst(ClaimNames.Tenant)?.Value;

    /// <summary>Appends "Requires scope: ..." to each root field's description; called once when the schema is built.</summary>
    public static void Describe(params IComplexGraphType?[] roots)
    {
        foreach (var field in roots.Where(r => r is not null).SelectMany(r => r!.Fields))
        {
            if (field.RequiredScopes() is { } scopes)
            {
                var requirement = "Requires scope: " + string.Join(" or ", scopes) + ".";
                field.Description = string.IsNullOrEmpty(field.Description) ? requirement : field.Description + " " + requirement;
            }
        }
    }
}
