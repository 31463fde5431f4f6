using System.Globalization;
using System.Text.Json;

namespace Bench;

/// <summary>A client id and secret as printed by <c>TokenService applications create</c>.</summary>
internal sealed record Credentials(string ClientId, string Secret)
{
    public static Credentials Load(string path)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        return new Credentials(json.RootElement.GetProperty("clientId").GetString()!, json.RootElement.GetProperty("secret").GetString()!);
    }
}

/// <summary>
/// Command line: <c>Bench --token-url URL --warm-app FILE [--cold-dir DIR] [--api-url URL] ...</c> (see Usage).
/// Values that depend on code still being built (the GraphQL query, extra token parameters) also come from
/// environment variables, so a run can be adjusted without touching the script.
/// </summary>
internal sealed record BenchOptions
{
    public const string Usage = """
        usage: Bench --token-url URL --warm-app FILE [options]
          --warm-app FILE        JSON from `TokenService applications create` (clientId, secret): warm and flood client
          --cold-dir DIR         one such JSON per fresh application; the first token request of each is timed
          --api-url URL          ResourceApi base URL; omit (or --api-unavailable REASON) to skip its rows
          --ts-pid PID           TokenService pid, for RSS and CPU (--api-pid likewise; --pg-pid: the postmaster)
          --warmup S --window S  seconds per scenario (default 3 and 10)
          --jit-warmup S         unrecorded load per path before the first scenario (default 5)
          --flood N              concurrent wrong-secret requests (default 1000)
          --reference-url URL    bench/Reference (bare JsonWebTokenHandler endpoint), for jwt-handler (--reference-pid PID)
          --rs256-url URL        our TokenService at product defaults (the main one has a short secret cache for the soak),
                                 the RS256 side of jwt-handler and es256 (--rs256-pid PID); default --token-url
          --es256-url URL        a TokenService whose key ring is ES256, and --es256-app FILE its warm client, for es256
                                 (--es256-pid PID)
          --scenarios LIST       comma list of rsa,warm16,warm64,jwt-handler,es256,cold,api-bearer,api-basic,access-policy,
                                 alias-flood,flood,soak,fleet,stranger-flood
                                 (default all; each runs alone too, e.g. BENCH_SCENARIOS=fleet make bench)
          --out FILE             also write the Markdown report there
          --commit TEXT          what was measured, shown in the report
        environment: BENCH_TRAFFIC_DIR (soak.json, fleet.json, stranger.json), BENCH_SECRET_TTL (ProvenSecretCacheSeconds),
          BENCH_GRAPHQL_QUERY (GraphQL document), BENCH_TOKEN_EXTRA (appended to token form bodies,
          e.g. '&scope=metric:query'), BENCH_TOKEN_SETTINGS (TokenService appsettings.json, for the Argon2 parameters)
        """;

    // Metric's name field is uniqueName in ResourceApi/Graph/Types/MetricType.cs.
    public const string DefaultQuery = "{ metrics(first: 10) { edges { node { id uniqueName } } } }";

    public static readonly string[] AllScenarios = ["rsa", "warm16", "warm64", "jwt-handler", "es256", "cold", "api-bearer", "api-basic", "access-policy",
        "alias-flood", "flood",
        "soak", "fleet", "stranger-flood"];

    public required Uri TokenUrl { get; init; }
    public required Credentials WarmApp { get; init; }
    public string? ColdDir { get; init; }
    public Uri? ApiUrl { get; init; }
    public string ApiUnavailable { get; init; } = "no --api-url given";
    public int TokenServicePid { get; init; }
    public int ResourceApiPid { get; init; }
    public int PostgreSqlPid { get; init; }
    public TimeSpan WarmUp { get; init; } = TimeSpan.FromSeconds(3);
    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan JitWarmUp { get; init; } = TimeSpan.FromSeconds(5);
    public int Flood { get; init; } = 1000;
    public IReadOnlySet<string> Scenarios { get; init; } = AllScenarios.ToHashSet();
    public string? Out { get; init; }
    public string Commit { get; init; } = "unknown";
    public string Query { get; init; } = DefaultQuery;
    public string TokenExtra { get; init; } = "";
    public string? TokenSettings { get; init; }
    public Uri? ReferenceUrl { get; init; }
    public int ReferencePid { get; init; }
    public Uri? Rs256Url { get; init; }
    public int Rs256Pid { get; init; }
    public Uri? Es256Url { get; init; }
    public int Es256Pid { get; init; }
    public Credentials? Es256App { get; init; }

    public Uri TokenEndpoint => new(TokenUrl, "/oauth2/token");

    public bool Runs(string scenario) => Scenarios.Contains(scenario);

    /// <summary>Null and a message on stderr when the command line is wrong.</summary>
    public static BenchOptions? Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                return Fail($"unexpected argument '{args[i]}'");
            }

            values[args[i][2..]] = args[++i];
        }

        string? Get(string name) => values.TryGetValue(name, out var v) && v.Length > 0 ? v : null;
        int Int(string name, int fallback) => Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

        if (Get("token-url") is not { } tokenUrl || Get("warm-app") is not { } warmApp)
        {
            return Fail("--token-url and --warm-app are required");
        }

        var scenarios = (Get("scenarios") ?? string.Join(',', AllScenarios))
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (scenarios.FirstOrDefault(s => !AllScenarios.Contains(s)) is { } unknown)
        {
            return Fail($"unknown scenario '{unknown}'");
        }

        return new BenchOptions
        {
            TokenUrl = new Uri(tokenUrl),
            WarmApp = Credentials.Load(warmApp),
            ColdDir = Get("cold-dir"),
            ApiUrl = Get("api-url") is { } api ? new Uri(api) : null,
            ApiUnavailable = Get("api-unavailable") ?? "no --api-url given",
            TokenServicePid = Int("ts-pid", 0),
            ResourceApiPid = Int("api-pid", 0),
            PostgreSqlPid = Int("pg-pid", 0),
            WarmUp = TimeSpan.FromSeconds(Int("warmup", 3)),
            Window = TimeSpan.FromSeconds(Int("window", 10)),
            JitWarmUp = TimeSpan.FromSeconds(Int("jit-warmup", 5)),
            Flood = Int("flood", 1000),
            Scenarios = scenarios.ToHashSet(),
            Out = Get("out"),
            Commit = Get("commit") ?? "unknown",
            Query = Environment.GetEnvironmentVariable("BENCH_GRAPHQL_QUERY") is { Length: > 0 } q ? q : DefaultQuery,
            TokenExtra = Environment.GetEnvironmentVariable("BENCH_TOKEN_EXTRA") ?? "",
            TokenSettings = Environment.GetEnvironmentVariable("BENCH_TOKEN_SETTINGS"),
            ReferenceUrl = Get("reference-url") is { } reference ? new Uri(reference) : null,
            ReferencePid = Int("reference-pid", 0),
            Rs256Url = Get("rs256-url") is { } rs256 ? new Uri(rs256) : null,
            Rs256Pid = Int("rs256-pid", 0),
            Es256Url = Get("es256-url") is { } es256 ? new Uri(es256) : null,
            Es256Pid = Int("es256-pid", 0),
            Es256App = Get("es256-app") is { } es256App ? Credentials.Load(es256App) : null,
        };
    }

    private static BenchOptions? Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        Console.Error.WriteLine(Usage);
        return null;
    }
}
