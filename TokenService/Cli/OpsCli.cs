using System.CommandLine;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using Shared.Database;

namespace TokenService.Cli;

/// <summary>
/// The ops command line. Exit codes: 0 success; 1 the operation failed (database unreachable, migration
/// error); 2 invalid usage or input; 3 no such application. Errors are one line on stderr.
/// </summary>
public static class OpsCli
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int Usage = 2;
    public const int NotFound = 3;

    private static readonly string[] Verbs = ["migrate", "applications", "keys", "users", "audit", "--help", "-h", "-?", "--version"];

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>`TokenService --help`: what the binary is, what it reads, and what its exit codes mean.</summary>
    private const string RootDescription =
        "TokenService: OAuth 2.0 / OpenID Connect token service and its ops tool. Without a command it runs the service.\n" +
        "Reads DATABASE_URL, KEY_ENCRYPTION_KEY, Issuer and appsettings.json (docs/configuration.md).\n\n" +
        "Exit codes: 0 success; 1 the operation failed (database unreachable, migration error); " +
        "2 invalid usage or input; 3 no such application or user. Errors are one line on stderr.";

    public static bool Handles(string[] args) => args.Length > 0 && Verbs.Contains(args[0], StringComparer.Ordinal);

    public static async Task<int> RunAsync(
        string[] args, TextWriter stdout, TextWriter stderr, IDictionary<string, string?>? settings = null, TextReader? stdin = null)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables()
            .AddInMemoryCollection(settings ?? new Dictionary<string, string?>())
            .Build();
        var environment = configuration["ASPNETCORE_ENVIRONMENT"] ?? configuration["DOTNET_ENVIRONMENT"] ?? Environments.Production;
        var services = new ServiceCollection()
            .AddSingleton<IHostEnvironment>(new CliEnvironment(environment))
            .AddTokenServiceCore(configuration)
            .BuildServiceProvider();
        await using var _ = services;

        var context = new CliContext(services, stdout, stderr);
        var root = new RootCommand(RootDescription)
        {
            MigrateCommand.Create(context),
            ApplicationsCommand.Create(context),
            KeysCommand.Create(context),
            UsersCommand.Create(context, stdin ?? Console.In),
            AuditCommand.Create(context),
        };

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            await stderr.WriteLineAsync($"error: {parse.Errors[0].Message} (see `TokenService {args[0]} --help`)");
            return Usage;
        }

        try
        {
            return await parse.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (MigrationException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return Failed;
        }
        catch (OptionsValidationException e)
        {
            await stderr.WriteLineAsync($"error: configuration: {string.Join("; ", e.Failures)}");
            return Usage;
        }
        catch (Exception e) when (e is NpgsqlException || Postgres.IsUnavailable(e))
        {
            await stderr.WriteLineAsync($"error: database: {FirstLine(e.Message)} (is DATABASE_URL right and the server up?)");
            return Failed;
        }
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();

    private sealed class CliEnvironment(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "TokenService";
        public string ContentRootPath { get; set; } = AppContext.BaseDirectory;
        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } =
            new Microsoft.Extensions.FileProviders.NullFileProvider();
    }
}

/// <summary>What every command needs: services and the two output streams.</summary>
public sealed record CliContext(IServiceProvider Services, TextWriter Out, TextWriter Error)
{
    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    public async Task<int> FailAsync(int code, string message)
    {
        await Error.WriteLineAsync($"error: {message}");
        return code;
    }

    public async Task<int> PrintJsonAsync<T>(T value)
    {
        await Out.WriteLineAsync(JsonSerializer.Serialize(value, OpsCli.Json));
        return OpsCli.Ok;
    }
}
