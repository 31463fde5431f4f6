using Npgsql;
using Shared.Database;
using Testcontainers.PostgreSql;

namespace TestSupport;

/// <summary>
/// The PostgreSQL server every test uses, found once per test run:
/// TEST_DATABASE_URL or DATABASE_URL (what `make test` and CI set, pointing at a throwaway local cluster),
/// else Testcontainers when a Docker engine answers, else a failure that says how to fix it.
/// Tests never share a database: each fixture asks for a fresh one.
/// </summary>
public static class PostgresServer
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? adminConnectionString;
    private static PostgreSqlContainer? container;

    public static async Task<string> AdminConnectionStringAsync()
    {
        if (adminConnectionString is not null)
        {
            return adminConnectionString;
        }

        await Gate.WaitAsync();
        try
        {
            adminConnectionString ??= await FindAsync();
            return adminConnectionString;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static string? template;

    /// <summary>
    /// A new database of its own for one fixture. Migrated ones are copies of a template migrated once per test
    /// process (CREATE DATABASE ... TEMPLATE is a file copy: far faster than replaying migrations and seed data).
    /// </summary>
    public static async Task<string> CreateDatabaseAsync(string purpose, bool migrate = true)
    {
        var admin = new NpgsqlConnectionStringBuilder(await AdminConnectionStringAsync());
        var name = NewName(purpose);
        var source = migrate ? await TemplateAsync() : null;
        await ExecuteAsync(admin.ConnectionString, source is null ? $"CREATE DATABASE \"{name}\"" : $"CREATE DATABASE \"{name}\" TEMPLATE \"{source}\"");
        admin.Database = name;
        return admin.ConnectionString;
    }

    private static string NewName(string purpose) =>
        $"t_{new string(purpose.ToLowerInvariant().Where(char.IsAsciiLetterOrDigit).Take(20).ToArray())}_{Guid.NewGuid():N}";

    private static async Task<string> TemplateAsync()
    {
        if (template is not null)
        {
            return template;
        }

        await Gate.WaitAsync();
        try
        {
            if (template is null)
            {
                var admin = new NpgsqlConnectionStringBuilder(await AdminConnectionStringAsync());
                var name = NewName("template");
                await ExecuteAsync(admin.ConnectionString, $"CREATE DATABASE \"{name}\"");
                admin.Database = name;
                admin.Pooling = false;
                await using (var dataSource = NpgsqlDataSource.Create(admin.ConnectionString))
                {
                    await new Migrator(dataSource, TokenService.TokenServiceSetup.TokenMigrations()).MigrateAsync();
                    await new Migrator(dataSource, ResourceApi.Data.ResourceSchemaMigrations.All()).MigrateAsync();
                }

                template = name;
            }

            return template;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string> FindAsync()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("TEST_DATABASE_URL") is { Length: > 0 } t ? t
            : Environment.GetEnvironmentVariable("DATABASE_URL");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            var builder = new NpgsqlConnectionStringBuilder(Postgres.ToConnectionString(fromEnvironment)) { Database = "postgres" };
            return builder.ConnectionString;
        }

        if (DockerAnswers())
        {
            container = new PostgreSqlBuilder("postgres:15").Build();
            await container.StartAsync();
            AppDomain.CurrentDomain.ProcessExit += (_, _) => container.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return new NpgsqlConnectionStringBuilder(container.GetConnectionString()) { Database = "postgres" }.ConnectionString;
        }

        throw new InvalidOperationException(
            "No PostgreSQL for the tests: run `make test` (it starts a throwaway local cluster), or set TEST_DATABASE_URL / DATABASE_URL " +
            "to a server where the user may CREATE DATABASE, or start a Docker engine so Testcontainers can run one.");
    }

    private static bool DockerAnswers()
    {
        var socket = Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host && host.StartsWith("unix://", StringComparison.Ordinal)
            ? host["unix://".Length..] : "/var/run/docker.sock";
        if (!File.Exists(socket))
        {
            return false;
        }

        try
        {
            using var client = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream,
                System.Net.Sockets.ProtocolType.Unspecified);
            client.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(socket));
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}
