using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Npgsql;
using Shared.Database;

namespace Shared.Hosting;

/// <summary>
/// What an operator sees when the service cannot start or an ops command fails: one line naming the setting and what
/// is expected, and the exit code (2 usage or configuration, 1 the operation failed). Stack traces and driver exception
/// names never reach the terminal; the same mapping serves the web hosts' start and the ops command line.
/// </summary>
public sealed partial record OperatorError(int ExitCode, string Message)
{
    public const int Failed = 1;
    public const int Usage = 2;

    public static OperatorError From(Exception exception) => exception switch
    {
        AggregateException { InnerExceptions.Count: 1 } a => From(a.InnerExceptions[0]),
        TargetInvocationException { InnerException: { } inner } => From(inner),
        SettingException s => new(Usage, s.Message),
        OptionsValidationException o => new(Usage, string.Join("; ", o.Failures)),
        InvalidOperationException when ConversionFailure().Match(exception.Message) is { Success: true } m =>
            new(Usage, $"{EnvironmentName(m.Groups["key"].Value)}: '{m.Groups["value"].Value}' is not {Expected(m.Groups["type"].Value)}"),
        MigrationException m => new(Failed, $"migrate: {FirstLine(m.Message)}"),
        IOException when exception.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase) =>
            new(Failed, $"ASPNETCORE_URLS: {FirstLine(exception.Message).TrimEnd('.')} " +
                        "(expected a free port: is another instance running?)"),
        // A write that reached a server in recovery: the standby, or the old primary while a failover promotes another.
        PostgresException { SqlState: PostgresErrorCodes.ReadOnlySqlTransaction } =>
            new(Failed, "DATABASE_URL: the database is read-only just now (a standby, or a failover in progress): " +
                        "the write was refused; run the command again in a few seconds"),
        PostgresException pg when !Postgres.IsUnavailable(pg) =>
            new(Failed, $"DATABASE_URL: the database refused: {FirstLine(pg.MessageText)} (SQLSTATE {pg.SqlState})"),
        // Npgsql's words when no host of a multi-host DATABASE_URL took the connection as the session attributes ask.
        NpgsqlException when exception.Message.StartsWith("Unable to connect to a suitable host", StringComparison.Ordinal) =>
            new(Failed, "DATABASE_URL: cannot reach the database: no host in it answered as a primary " +
                        "(a failover in progress, or every server down); run the command again in a few seconds"),
        _ when Postgres.IsUnavailable(exception) =>
            new(Failed, $"DATABASE_URL: cannot reach the database: {FirstLine(exception.Message).TrimEnd('.')} " +
                        "(expected a running PostgreSQL server at that address)"),
        _ => new(Failed, FirstLine(exception.Message)),
    };

    /// <summary>Writes the one line to stderr and gives the exit code.</summary>
    public static async Task<int> ReportAsync(OperatorError error)
    {
        await Console.Error.WriteLineAsync($"error: {error.Message}");
        return error.ExitCode;
    }

    /// <summary>Configuration keys are written with ':' inside, and with '__' in environment variables, where ops set them.</summary>
    private static string EnvironmentName(string key) => key.Replace(":", "__", StringComparison.Ordinal);

    private static string Expected(string type) => type switch
    {
        "System.Int32" or "System.Int64" => "a whole number",
        "System.Boolean" => "true or false",
        "System.Double" or "System.Decimal" => "a number",
        "System.TimeSpan" => "a duration like 00:05:00",
        _ => $"a valid {type.Split('.')[^1]}",
    };

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();

    // Microsoft.Extensions.Configuration.Binder's message for a value of the wrong type.
    [GeneratedRegex("^Failed to convert configuration value '(?<value>.*)' at '(?<key>[^']+)' to type '(?<type>[^']+)'")]
    private static partial Regex ConversionFailure();
}
