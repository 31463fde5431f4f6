using System.Reflection;

namespace Shared.Database;

/// <summary>
/// A named list of migration files and the table that records them. The TokenService's files are
/// <c>db/migrations</c> (history in <c>schema_migrations</c>); the ResourceApi's are <c>db/resource</c>
/// (history in <c>resource_schema_migrations</c>). Both are embedded in the assembly that owns them, so the
/// binary carries its schema, and every file also runs under plain <c>psql -f</c>.
/// </summary>
public sealed record MigrationSet(string Name, string HistoryTable, IReadOnlyList<MigrationFile> Files)
{
    public static MigrationSet FromEmbeddedResources(string name, string historyTable, Assembly assembly, string resourcePrefix)
    {
        var files = assembly.GetManifestResourceNames()
            .Where(r => r.StartsWith(resourcePrefix, StringComparison.Ordinal) && r.EndsWith(".sql", StringComparison.Ordinal))
            .Select(r =>
            {
                using var stream = assembly.GetManifestResourceStream(r)!;
                using var reader = new StreamReader(stream);
                return MigrationFile.Parse(r[resourcePrefix.Length..], reader.ReadToEnd());
            });
        return Create(name, historyTable, files);
    }

    public static MigrationSet FromDirectory(string name, string historyTable, string directory) =>
        Create(name, historyTable, Directory.EnumerateFiles(directory, "*.sql")
            .Select(path => MigrationFile.Parse(Path.GetFileName(path), File.ReadAllText(path))));

    private static MigrationSet Create(string name, string historyTable, IEnumerable<MigrationFile> files)
    {
        var ordered = files.OrderBy(f => f.Version).ToList();
        var duplicate = ordered.GroupBy(f => f.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new MigrationException(
                $"two migration files share version {duplicate.Key:D4}: {string.Join(", ", duplicate.Select(f => f.Name))}");
        }

        return new MigrationSet(name, historyTable, ordered);
    }
}
