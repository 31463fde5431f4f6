using System.Globalization;

namespace ResourceApi.Data;

/// <summary>Values leave the API as strings (as Propel's do): invariant culture, timestamps in ISO 8601 UTC.</summary>
internal static class Cells
{
    public static string? Format(object? value) => value switch
    {
        null or DBNull => null,
        DateTime { Kind: DateTimeKind.Local } local => Iso(local.ToUniversalTime()),
        DateTime time => Iso(DateTime.SpecifyKind(time, DateTimeKind.Utc)),
        DateTimeOffset offset => Iso(offset.UtcDateTime),
        decimal number => number.ToString(CultureInfo.InvariantCulture),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    private static string Iso(DateTime utc) => utc.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);
}
