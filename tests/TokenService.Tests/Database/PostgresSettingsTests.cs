using Npgsql;
using Shared.Database;

namespace TokenService.Tests.Database;

/// <summary>DATABASE_URL in both forms ops hand out, and which database errors mean "retry" rather than "bug".</summary>
public sealed class PostgresSettingsTests
{
    [Test]
    public void A_postgres_url_becomes_an_npgsql_connection_string()
    {
        var builder = new NpgsqlConnectionStringBuilder(Postgres.ToConnectionString("postgres://svc%40x:p%3Ass@db.internal:6432/tokens?sslmode=require"));
        Assert.Multiple(() =>
        {
            Assert.That(builder.Host, Is.EqualTo("db.internal"));
            Assert.That(builder.Port, Is.EqualTo(6432));
            Assert.That(builder.Database, Is.EqualTo("tokens"));
            Assert.That(builder.Username, Is.EqualTo("svc@x"));
            Assert.That(builder.Password, Is.EqualTo("p:ss"));
            Assert.That(builder.SslMode, Is.EqualTo(SslMode.Require));
        });
    }

    [Test]
    public void A_postgresql_url_without_port_or_database_gets_the_defaults()
    {
        var builder = new NpgsqlConnectionStringBuilder(Postgres.ToConnectionString("postgresql://app@localhost"));
        Assert.Multiple(() =>
        {
            Assert.That(builder.Port, Is.EqualTo(5432));
            Assert.That(builder.Database, Is.EqualTo("postgres"));
        });
    }

    [Test]
    public void A_keyword_connection_string_passes_through() =>
        Assert.That(new NpgsqlConnectionStringBuilder(Postgres.ToConnectionString("Host=h;Port=1;Username=u;Database=d")).Database, Is.EqualTo("d"));

    [Test]
    public void Database_url_wins_over_the_connection_strings_section_and_the_local_default()
    {
        string? Setting(string key) => key switch
        {
            "DATABASE_URL" => "postgres://u@a/one",
            "ConnectionStrings:Postgres" => "Host=b;Database=two",
            _ => null,
        };
        Assert.Multiple(() =>
        {
            Assert.That(Postgres.ConnectionStringFrom(Setting), Does.Contain("one"));
            Assert.That(Postgres.ConnectionStringFrom(_ => null), Is.EqualTo(new NpgsqlConnectionStringBuilder(Postgres.LocalDefault).ConnectionString));
        });
    }

    [TestCase("DIRECT_DATABASE_URL", true)]
    [TestCase("ConnectionStrings:Direct", true)]
    [TestCase("DATABASE_URL", false)]
    public void Only_a_configured_direct_connection_marks_database_url_as_a_pooler(string key, bool pooled) => // issue 18 point 2
        Assert.That(Postgres.IsBehindPooler(k => k == key ? "Host=db;Database=d" : null), Is.EqualTo(pooled));

    [TestCase("08006", true, TestName = "Connection_failure_is_unavailable")]
    [TestCase("57P01", true, TestName = "Admin_shutdown_is_unavailable")]
    [TestCase("53300", true, TestName = "Too_many_connections_is_unavailable")]
    [TestCase("25006", true, TestName = "A_write_on_a_server_in_recovery_is_unavailable_during_a_failover")]
    [TestCase("42P01", false, TestName = "Undefined_table_is_a_bug_not_an_outage")]
    [TestCase("23505", false, TestName = "Unique_violation_is_not_an_outage")]
    public void Server_errors_are_unavailable_only_for_connection_resource_and_shutdown_classes(string sqlState, bool unavailable) =>
        Assert.That(Postgres.IsUnavailable(new PostgresException("m", "ERROR", "ERROR", sqlState)), Is.EqualTo(unavailable));

    /// <summary>What an ops command says when it runs into a failover (seen in FailoverTests): no driver's words.</summary>
    [Test]
    public void A_failover_is_explained_to_the_operator_in_one_line()
    {
        var readOnly = Shared.Hosting.OperatorError.From(new PostgresException(
            "cannot execute INSERT in a read-only transaction", "ERROR", "ERROR", PostgresErrorCodes.ReadOnlySqlTransaction));
        var noPrimary = Shared.Hosting.OperatorError.From(new NpgsqlException(
            "Unable to connect to a suitable host. Check inner exception for more details.", new System.Net.Sockets.SocketException()));
        Assert.Multiple(() =>
        {
            Assert.That(readOnly.ExitCode, Is.EqualTo(1));
            Assert.That(readOnly.Message, Does.StartWith("DATABASE_URL: the database is read-only just now"));
            Assert.That(noPrimary.ExitCode, Is.EqualTo(1));
            Assert.That(noPrimary.Message, Does.Contain("no host in it answered as a primary").And.Not.Contain("inner exception"));
        });
    }

    [Test]
    public void A_client_side_npgsql_failure_is_unavailable() =>
        Assert.That(Postgres.IsUnavailable(new NpgsqlException("connect failed", new System.Net.Sockets.SocketException())), Is.True);
}
