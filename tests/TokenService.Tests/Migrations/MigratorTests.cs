using System.Diagnostics;
using Dapper;
using Npgsql;
using Shared.Database;
using TestSupport;

namespace TokenService.Tests.Migrations;

/// <summary>db/migrations for ops: ordered, transactional, recorded with checksums, safe to run concurrently.</summary>
public sealed class MigratorTests
{
    private static async Task<NpgsqlDataSource> EmptyDatabaseAsync() =>
        NpgsqlDataSource.Create(await PostgresServer.CreateDatabaseAsync("mig", migrate: false));

    private static MigrationSet SetFromFiles(params (string Name, string Sql)[] files)
    {
        var dir = Directory.CreateTempSubdirectory("migrations-").FullName;
        foreach (var (name, sql) in files)
        {
            File.WriteAllText(Path.Combine(dir, name), sql);
        }

        return MigrationSet.FromDirectory("test", "schema_migrations", dir);
    }

    [Test]
    public async Task Applying_twice_applies_each_file_once()
    {
        await using var db = await EmptyDatabaseAsync();
        var migrator = new Migrator(db, TokenServiceSetup.TokenMigrations());
        var first = await migrator.MigrateAsync();
        var second = await migrator.MigrateAsync();
        Assert.Multiple(() =>
        {
            Assert.That(first.Select(f => f.Name), Is.EqualTo(TokenServiceSetup.TokenMigrations().Files.Select(f => f.Name)));
            Assert.That(second, Is.Empty);
        });
    }

    [Test]
    public void Each_service_carries_its_own_schema_and_the_ops_cli_binary_keeps_the_token_services_settings()
    {
        var root = RepoRoot();
        var resourceFiles = Directory.GetFiles(Path.Combine(root, "db", "resource"), "*.sql").Select(Path.GetFileName).Order();
        var tokenFiles = Directory.GetFiles(Path.Combine(root, "db", "migrations"), "*.sql").Select(Path.GetFileName).Order();
        // The TokenService binary references the ResourceApi (for its migrations); both ship an appsettings.json,
        // and the one beside the TokenService must be its own, not the ResourceApi's.
        // artifacts/bin/TokenService.Tests/<config>/ -> artifacts/bin/TokenService/<config>/appsettings.json
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory);
        var copied = Path.Combine(testOutput.Parent!.Parent!.FullName, "TokenService", testOutput.Name, "appsettings.json");
        Assert.Multiple(() =>
        {
            Assert.That(ResourceApi.Data.ResourceSchemaMigrations.All().Files.Select(f => f.Name), Is.EqualTo(resourceFiles));
            Assert.That(TokenServiceSetup.TokenMigrations().Files.Select(f => f.Name), Is.EqualTo(tokenFiles));
            var embedded = typeof(TokenServiceSetup).Assembly.GetManifestResourceNames();
            Assert.That(embedded.Where(n => n.StartsWith("resource/", StringComparison.Ordinal)), Is.Empty,
                "the ResourceApi's files are embedded in the ResourceApi only");
            Assert.That(File.ReadAllText(copied), Is.EqualTo(File.ReadAllText(Path.Combine(root, "TokenService", "appsettings.json"))));
        });
    }

    [Test]
    public async Task Concurrent_runs_serialise_on_the_advisory_lock_and_apply_each_file_once()
    {
        await using var db = await EmptyDatabaseAsync();
        var set = TokenServiceSetup.TokenMigrations();
        var runs = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => Task.Run(() => new Migrator(db, set).MigrateAsync())));
        await using var connection = await db.OpenConnectionAsync();
        var recorded = await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM schema_migrations");
        Assert.Multiple(() =>
        {
            Assert.That(runs.Sum(r => r.Count), Is.EqualTo(set.Files.Count));
            Assert.That(recorded, Is.EqualTo(set.Files.Count));
        });
    }

    [Test]
    public async Task Files_are_applied_in_version_order_and_recorded_with_their_checksum()
    {
        await using var db = await EmptyDatabaseAsync();
        var set = SetFromFiles(("0002_second.sql", "INSERT INTO log VALUES (2);"), ("0001_first.sql", "CREATE TABLE log (n int); INSERT INTO log VALUES (1);"));
        await new Migrator(db, set).MigrateAsync();
        await using var connection = await db.OpenConnectionAsync();
        var order = (await connection.QueryAsync<int>("SELECT n FROM log ORDER BY ctid")).ToArray();
        var checksums = (await connection.QueryAsync<string>("SELECT checksum FROM schema_migrations ORDER BY version")).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(order, Is.EqualTo(new[] { 1, 2 }));
            Assert.That(checksums, Is.EqualTo(set.Files.Select(f => f.Checksum).ToArray()));
        });
    }

    [Test]
    public async Task An_edited_applied_file_stops_the_run_with_a_clear_error()
    {
        await using var db = await EmptyDatabaseAsync();
        await new Migrator(db, SetFromFiles(("0001_first.sql", "CREATE TABLE a (n int);"))).MigrateAsync();
        var edited = SetFromFiles(("0001_first.sql", "CREATE TABLE a (n bigint);"), ("0002_more.sql", "CREATE TABLE b (n int);"));
        var error = await Assert.ThrowsAsync<MigrationException>(() => new Migrator(db, edited).MigrateAsync());
        Assert.That(error!.Message, Does.Contain("0001_first.sql was edited after it was applied"));
        await using var connection = await db.OpenConnectionAsync();
        Assert.That(await connection.ExecuteScalarAsync<bool>("SELECT to_regclass('b') IS NULL"), Is.True, "nothing after the check ran");
    }

    [Test]
    public void Line_endings_do_not_change_the_checksum()
    {
        var lf = MigrationFile.Parse("0001_a.sql", "CREATE TABLE a (n int);\nCREATE TABLE b (n int);\n");
        var crlf = MigrationFile.Parse("0001_a.sql", "CREATE TABLE a (n int);\r\nCREATE TABLE b (n int);\r\n\r\n");
        Assert.That(crlf.Checksum, Is.EqualTo(lf.Checksum));
    }

    [TestCase("1_short.sql")]
    [TestCase("0001-dash.sql")]
    [TestCase("0001_Upper.sql")]
    public void A_misnamed_file_is_refused_with_the_expected_pattern(string name)
    {
        var error = Assert.Throws<MigrationException>(() => MigrationFile.Parse(name, "SELECT 1;"));
        Assert.That(error!.Message, Does.Contain("NNNN_lower_snake_description.sql"));
    }

    [Test]
    public async Task A_file_that_fails_half_way_leaves_the_schema_as_it_was()
    {
        await using var db = await EmptyDatabaseAsync();
        var set = SetFromFiles(("0001_ok.sql", "CREATE TABLE ok (n int);"),
            ("0002_broken.sql", "CREATE TABLE half (n int); INSERT INTO half VALUES (1); SELECT 1/0;"));
        var error = await Assert.ThrowsAsync<MigrationException>(() => new Migrator(db, set).MigrateAsync());
        await using var connection = await db.OpenConnectionAsync();
        Assert.Multiple(async () =>
        {
            Assert.That(error!.Message, Does.Contain("0002_broken.sql failed and was rolled back"));
            Assert.That(await connection.ExecuteScalarAsync<bool>("SELECT to_regclass('half') IS NULL"), Is.True);
            Assert.That(await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM schema_migrations"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Every_migration_file_runs_under_plain_psql()
    {
        var connectionString = new NpgsqlConnectionStringBuilder(await PostgresServer.CreateDatabaseAsync("psql", migrate: false));
        var repo = RepoRoot();
        foreach (var folder in new[] { "db/migrations", "db/resource" })
        {
            foreach (var file in Directory.GetFiles(Path.Combine(repo, folder), "*.sql").Order(StringComparer.Ordinal))
            {
                var psql = Process.Start(new ProcessStartInfo("psql",
                    ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-1", "-h", connectionString.Host!, "-p", connectionString.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "-U", connectionString.Username!, "-d", connectionString.Database!, "-f", file])
                { RedirectStandardError = true, RedirectStandardOutput = true })!;
                var stderr = await psql.StandardError.ReadToEndAsync();
                await psql.WaitForExitAsync();
                Assert.That(psql.ExitCode, Is.Zero, $"{Path.GetFileName(file)}: {stderr}");
            }
        }
    }

    /// <summary>The checkout: above the test binaries normally, else above this source file (artifacts elsewhere).</summary>
    public static string RepoRoot([System.Runtime.CompilerServices.CallerFilePath] string sourceFile = "")
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(sourceFile)! })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "TokenService.slnx")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new DirectoryNotFoundException("repository root (TokenService.slnx) not found above " + AppContext.BaseDirectory);
    }
}
