using Dapper;
using Npgsql;
using Shared.Hosting;

namespace Shared.Database;

/// <summary>Turns configuration into the one <see cref="NpgsqlDataSource"/> a process uses.</summary>
public static class Postgres
{
    /// <summary>The local throwaway cluster of <c>make run</c> (db/local-pg.sh).</summary>
    public const string LocalDefault = "Host=127.0.0.1;Port=54329;Username=postgres;Database=tokenservice";

    static Postgres()
    {
        // snake_case columns map to PascalCase properties everywhere.
        DefaultTypeMap.MatchNamesWithUnderscores = true;
    }

    /// <summary>
    /// DATABASE_URL may be a URL (<c>postgres://user:pass@host:port/db?sslmode=require</c>, as most platforms
    /// hand it out) or an Npgsql keyword connection string.
    /// </summary>
    public static string ToConnectionString(string databaseUrl)
    {
        if (!databaseUrl.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) &&
            !databaseUrl.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return new NpgsqlConnectionStringBuilder(databaseUrl).ConnectionString;
        }

        var uri = new Uri(databaseUrl);
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')) is { Length: > 0 } db ? db : "postgres",
        };
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            builder.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
            {
                builder.Password = Uri.UnescapeDataString(parts[1]);
            }
        }

        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            var key = Uri.UnescapeDataString(kv[0]);
            var value = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
            builder[key.Equals("sslmode", StringComparison.OrdinalIgnoreCase) ? "SSL Mode" : key] = value;
        }

        return builder.ConnectionString;
    }

    /// <summary>DATABASE_URL, else ConnectionStrings:Postgres, else the local cluster.</summary>
    public static string ConnectionStringFrom(Func<string, string?> setting)
    {
        var (name, value) = setting("DATABASE_URL") is { Length: > 0 } url ? ("DATABASE_URL", url)
            : setting("ConnectionStrings:Postgres") is { Length: > 0 } cs ? ("ConnectionStrings__Postgres", cs)
            : ("DATABASE_URL", LocalDefault);
        try
        {
            return ToConnectionString(value);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
        {
            // Npgsql's own message may quote the value, and the value may hold a password: name the setting only.
            throw new SettingException(name, "expected a PostgreSQL URL (postgres://user:password@host:5432/database) " +
                                             "or an Npgsql connection string (Host=...;Database=...)", e);
        }
    }

    /// <summary>The DI key of the data source for what needs one server session throughout: LISTEN/NOTIFY and migrations.</summary>
    public const string Direct = "direct";

    /// <summary>
    /// DIRECT_DATABASE_URL, else ConnectionStrings:Direct, else the main connection string. Behind pgbouncer in transaction
    /// mode the main string points at pgbouncer, which hands each transaction to any server connection: a LISTEN or a
    /// session advisory lock would be held by a connection other callers then use (docs/operations.md, "Connection pooling with pgbouncer").
    /// </summary>
    public static string DirectConnectionStringFrom(Func<string, string?> setting)
    {
        var (name, value) = setting("DIRECT_DATABASE_URL") is { Length: > 0 } url ? ("DIRECT_DATABASE_URL", url)
            : setting("ConnectionStrings:Direct") is { Length: > 0 } cs ? ("ConnectionStrings__Direct", cs)
            : (null, null);
        if (value is null)
        {
            return ConnectionStringFrom(setting);
        }

        try
        {
            return ToConnectionString(value);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
        {
            throw new SettingException(name!, "expected a PostgreSQL URL (postgres://user:password@host:5432/database) " +
                                              "or an Npgsql connection string (Host=...;Database=...)", e);
        }
    }

    /// <summary>
    /// Whether a direct connection is configured (DIRECT_DATABASE_URL or ConnectionStrings:Direct), which says that
    /// DATABASE_URL is a transaction pooler such as pgbouncer: nothing may then rely on the pooled connections' sessions,
    /// and startup options (<c>Options=-c ...</c>) are not sent, since pgbouncer refuses them (docs/operations.md).
    /// </summary>
    public static bool IsBehindPooler(Func<string, string?> setting) =>
        setting("DIRECT_DATABASE_URL") is { Length: > 0 } || setting("ConnectionStrings:Direct") is { Length: > 0 };

    /// <summary>
    /// Pool sizes when the connection string sets none (Npgsql's own default is 100 each, which alone fills PostgreSQL's
    /// default max_connections of 100). The budget (docs/operations.md, "Connection budget"):
    /// instances × (TokenService pool + ResourceApi pool) + <see cref="ConnectionBudget.OpsReserve"/> + the server's
    /// reserved connections ≤ max_connections; with one instance of each, 20 + 40 + 10 + 3 = 73 ≤ 100.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, int> DefaultPoolSizes = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["TokenService"] = 20,
        ["ResourceApi"] = 40,
    };

    public static NpgsqlDataSource CreateDataSource(string connectionString, string applicationName)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        builder.ApplicationName ??= applicationName;
        if (!SetsPoolSize(connectionString) && DefaultPoolSizes.TryGetValue(applicationName, out var poolSize))
        {
            builder.MaxPoolSize = poolSize;
        }

        // Fail fast instead of queueing behind a dead server: callers turn this into 503.
        if (builder.Timeout == 15)
        {
            builder.Timeout = 5;
        }

        return new NpgsqlDataSourceBuilder(builder.ConnectionString).Build();
    }

    /// <summary>Whether the operator chose a pool size (any of Npgsql's spellings); Npgsql's builder reports every known key as
    /// present.</summary>
    public static bool SetsPoolSize(string connectionString) =>
        new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Any(k => k.Replace(" ", "", StringComparison.Ordinal).Equals("MaximumPoolSize", StringComparison.OrdinalIgnoreCase) ||
                      k.Replace(" ", "", StringComparison.Ordinal).Equals("MaxPoolSize", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Errors that mean "the database is not there right now" (503 and retry) rather than a mistake in a statement
    /// (a bug: 500). Any Npgsql failure that is not a server error is about reaching the server; of server errors only
    /// connection (08), resource (53) and operator-intervention (57P: shutdown, crash recovery) classes count, and 25006
    /// (a write reached a server in recovery: a standby, or the old primary during a failover; found by FailoverTests).
    /// </summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        PostgresException pg =>
            pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState.StartsWith("53", StringComparison.Ordinal) ||
                                pg.SqlState.StartsWith("57P", StringComparison.Ordinal) ||
                                pg.SqlState == PostgresErrorCodes.ReadOnlySqlTransaction,
        NpgsqlException => true,
        TimeoutException => true,
        _ when exception.InnerException is { } inner => IsUnavailable(inner),
        _ => false,
    };

    public const string UniqueViolation = PostgresErrorCodes.UniqueViolation;
}
