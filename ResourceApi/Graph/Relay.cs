using System.Globalization;
using System.Text;
using GraphQL;
using GraphQL.Builders;
using GraphQL.Types;
using GraphQL.Types.Relay.DataObjects;
using Microsoft.Extensions.Options;
using ResourceApi.Data;

namespace ResourceApi.Graph;

/// <summary>
/// Relay cursor connections (first/after, edges, cursor, pageInfo). Cursors are opaque base64 offsets; pages are
/// fetched one item long so hasNextPage needs no count. <c>first</c> above the maximum page size is refused, not clamped.
/// </summary>
internal static class Relay
{
    public const int DefaultPageSize = 10;

    private const string CursorPrefix = "offset:";

    public static FieldBuilder<TSource, object> Paged<TSource>(this FieldBuilder<TSource, object> field) => field
        .Argument<IntGraphType>("first", "Items per page (default 10, at most the maximum page size, 100 by default).")
        .Argument<StringGraphType>("after", "The cursor of the last item of the previous page.");

    public static Page PageOf(IResolveFieldContext context)
    {
        var max = context.RequestServices!.GetRequiredService<IOptions<ResourceApiOptions>>().Value.MaxPageSize;
        var first = context.GetArgument<int?>("first") ?? DefaultPageSize;
        if (first < 1 || first > max)
        {
            throw new ResourceRequestException($"first must be between 1 and {max}");
        }

        var after = context.GetArgument<string?>("after");
        return new Page(first, after is null ? 0 : OffsetOf(after) + 1);
    }

    public static string CursorOf(int offset) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(CursorPrefix + offset.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Builds the connection from up to Limit + 1 fetched items.</summary>
    public static TConnection ToConnection<TConnection, T>(IReadOnlyList<T> fetched, Page page)
        where TConnection : Connection<T>, new()
    {
        var items = fetched.Take(page.Limit).ToList();
        var edges = items.Select((item, i) => new Edge<T> { Cursor = CursorOf(page.Offset + i), Node = item }).ToList();
        return new TConnection
        {
            Edges = edges,
            PageInfo = new PageInfo
            {
                HasNextPage = fetched.Count > page.Limit,
                HasPreviousPage = page.Offset > 0,
                StartCursor = edges.FirstOrDefault()?.Cursor,
                EndCursor = edges.LastOrDefault()?.Cursor,
            },
        };
    }

    public static Connection<T> ToConnection<T>(IReadOnlyList<T> fetched, Page page) => ToConnection<Connection<T>, T>(fetched, page);

    private static int OffsetOf(string cursor)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(cursor));
            if (text.StartsWith(CursorPrefix, StringComparison.Ordinal) &&
                int.TryParse(text.AsSpan(CursorPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
                    && offset < 10_000_000)
            {
                return offset;
            }
        }
        catch (FormatException)
        {
        }

        throw new ResourceRequestException("after is not a cursor this API returned");
    }
}
