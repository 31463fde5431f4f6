using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Shared.Database;

/// <summary>
/// One versioned SQL file, <c>NNNN_description.sql</c>. Only the version is the identity, so a file can be
/// renamed; the checksum is sha256 of the text with line endings normalised, so a checkout with CRLF still matches.
/// </summary>
public sealed partial record MigrationFile(int Version, string Name, string Sql, string Checksum)
{
    [GeneratedRegex(@"^(?<version>\d{4,})_(?<description>[a-z0-9_]+)\.sql$")]
    private static partial Regex FileName();

    public static MigrationFile Parse(string fileName, string text)
    {
        var match = FileName().Match(fileName);
        if (!match.Success)
        {
            throw new MigrationException(
                $"migration file '{fileName}' is misnamed: expected NNNN_lower_snake_description.sql, e.g. 0007_add_tenants.sql");
        }

        var normalised = text.Replace("\r\n", "\n", StringComparison.Ordinal).Trim() + "\n";
        var checksum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalised)));
        return new MigrationFile(int.Parse(match.Groups["version"].Value, System.Globalization.CultureInfo.InvariantCulture),
            fileName, normalised, checksum);
    }
}

/// <summary>A migration problem the operator must fix; the message is the one line the CLI prints.</summary>
public sealed class MigrationException(string message, Exception? inner = null) : Exception(message, inner);
