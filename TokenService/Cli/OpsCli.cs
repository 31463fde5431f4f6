using System.CommandLine;
using System.Text.Json;
using Shared.Hosting;

namespace TokenService.Cli;

/// <summary>
/// The ops command line. Exit codes: 0 success; 1 the operation failed (database unreachable, migration
/// error); 2 invalid usage or input; 3 no such application. Errors are one line on stderr.
/// </summary>
public static partial class OpsCli
{
    public const int Ok = 0;
    public const int Failed = OperatorError.Failed;
    public const int Usage = OperatorError.Usage;
    public const int NotFound = 3;

    private static readonly string[] Commands = ["migrate", "applications", "keys", "users", "audit", "policies"];

    private static readonly string[] RootOptions = ["--help", "-h", "-?", "--version"];

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>`TokenService --help`: what the binary is, what it reads, and what its exit codes mean.</summary>
    private const string RootDescription =
        "TokenService: OAuth 2.0 / OpenID Connect token service and its ops tool. Without a command it runs the service.\n" +
        "Reads DATABASE_URL, KEY_ENCRYPTION_KEY, Issuer and appsettings.json (docs/configuration.md).\n\n" +
        "Exit codes: 0 success; 1 the operation failed (database unreachable, migration error); " +
        "2 invalid usage or input; 3 no such application or user. Errors are one line on stderr.";

    /// <summary>
    /// Anything that is not a host setting is a command: the web host takes only <c>--Name=value</c>,
    /// <c>--Name value</c> and <c>Name=value</c> (ASP.NET Core command-line configuration), so a mistyped command
    /// such as <c>frobnicate</c> is refused here and never starts the server.
    /// </summary>
    public static bool Handles(string[] args) =>
        args.Length > 0 && (RootOptions.Contains(args[0], StringComparer.Ordinal) || (!args[0].StartsWith('-') && !args[0].Contains('=')));

    /// <summary>
    /// The host's own arguments are settings; a lone <c>--flag</c> (no value, no <c>=</c>) sets nothing and is almost
    /// certainly a typo, so it is refused instead of silently ignored. Null when the arguments are usable.
    /// </summary>
    public static OperatorError? CheckHostArguments(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            var isSwitch = arg.StartsWith("--", StringComparison.Ordinal) || arg.StartsWith('/');
            if (arg.Contains('='))
            {
                continue;
            }

            if (isSwitch && i + 1 < args.Length && !args[i + 1].StartsWith('-'))
            {
                i++;
                continue;
            }

            return new OperatorError(Usage, $"unknown option '{arg}' (expected a setting as --Name=value, " +
                                            $"or a command: {string.Join(", ", Commands)}; see `TokenService --help`)");
        }

        return null;
    }

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
            PoliciesCommand.Create(context),
        };

        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            var help = parse.CommandResult.Command == root ? "TokenService --help" : $"TokenService {args[0]} --help";
            var command = parse.CommandResult.Command;
            var message = command == root && !Commands.Contains(args[0], StringComparer.Ordinal)
                ? $"unknown command '{args[0]}': expected one of {string.Join(", ", Commands)}"
                : command.Subcommands.Count > 0
                    ? (parse.UnmatchedTokens.FirstOrDefault() is { } typo
                          ? $"{command.Name}: unknown command '{typo}'"
                          : $"{command.Name}: a command is needed") +
                      $": expected one of {string.Join(", ", command.Subcommands.Select(c => c.Name))}"
                    : OptionValueMissing().Match(parse.Errors[0].Message) is { Success: true } missing
                        ? $"{missing.Groups["option"].Value}: a value is needed"
                    : parse.Errors[0].Message.StartsWith("Required argument missing", StringComparison.Ordinal)
                        ? $"{command.Name}: missing {string.Join(" ", command.Arguments.Select(a => "<" + a.Name + ">"))}"
                        : Readable(parse.Errors[0].Message.TrimEnd('.'));
            await stderr.WriteLineAsync($"error: {message} (see `{help}`)");
            return Usage;
        }

        try
        {
            var invocation = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false };
            return await parse.InvokeAsync(invocation);
        }
        catch (Exception e)
        {
            // Settings are read lazily, by the first command that needs them: a malformed one surfaces here.
            var error = OperatorError.From(e);
            await stderr.WriteLineAsync($"error: {error.Message}");
            return error.ExitCode;
        }
    }

    /// <summary>The parser names .NET types ("System.Nullable`1[System.Int32]"); an operator needs what to type instead.</summary>
    private static string Readable(string message) =>
        CannotParse().Match(message) is { Success: true } m
            ? $"{m.Groups["option"].Value}: '{m.Groups["value"].Value}' " +
              (!m.Groups["type"].Value.Contains("Int", StringComparison.Ordinal) ? "is not a valid value"
                  : long.TryParse(m.Groups["value"].Value, out _) || m.Groups["value"].Value.All(char.IsAsciiDigit) ? "is out of range"
                  : "is not a whole number")
            : message;

    // "Required argument missing for option: '--algorithm'." when the option is last and its value left out.
    [System.Text.RegularExpressions.GeneratedRegex("^Required argument missing for option: '(?<option>[^']+)'")]
    private static partial System.Text.RegularExpressions.Regex OptionValueMissing();

    [System.Text.RegularExpressions.GeneratedRegex(
        "^Cannot parse argument '(?<value>.*)' for option '(?<option>[^']+)' as expected type '(?<type>[^']+)'")]
    private static partial System.Text.RegularExpressions.Regex CannotParse();

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
