using Bench;

// `make bench` runs this through scripts/bench.sh, which starts the services and creates the applications.
// The scenarios run one after the other, so each has the machine to itself; the flood is last because it
// leaves rate limits and a grown heap behind.
if (BenchOptions.Parse(args) is not { } options)
{
    return 2;
}

var report = new Report();
await using var rss = new RssSampler(options.TokenServicePid);
var context = new BenchContext(options, new Processes(options.TokenServicePid, options.ResourceApiPid, options.PostgreSqlPid), rss, report);

var rsa = options.Runs("rsa") ? await RsaCeiling.MeasureAsync(report) : null;
await JitWarmUp.RunAsync(context, options.JitWarmUp);
var warm16 = options.Runs("warm16") ? await TokenScenarios.WarmAsync(context, 16, p99TargetMs: 10, rsa) : null;
if (options.Runs("warm64"))
{
    await TokenScenarios.WarmAsync(context, 64, p99TargetMs: 30, rsa);
}

if (options.Runs("jwt-handler"))
{
    await SideBySideScenarios.JwtHandlerAsync(context);
}

if (options.Runs("es256"))
{
    await SideBySideScenarios.Es256Async(context);
}

if (options.Runs("cold"))
{
    await TokenScenarios.ColdAsync(context, TokenScenarios.Argon2Label(options.TokenSettings));
}

if (options.Runs("api-bearer"))
{
    await ApiScenarios.RunAsync(context, bearer: true);
}

if (options.Runs("api-basic"))
{
    await ApiScenarios.RunAsync(context, bearer: false);
}

if (options.Runs("access-policy"))
{
    await AccessPolicyScenario.RunAsync(context);
}

if (options.Runs("fleet"))
{
    await TrafficScenarios.FleetAsync(context);
}

if (options.Runs("soak"))
{
    await TrafficScenarios.SoakAsync(context);
}

if (options.Runs("stranger-flood"))
{
    await TrafficScenarios.StrangerFloodAsync(context);
}

if (options.Runs("alias-flood"))
{
    await AliasFloodScenario.RunAsync(context);
}

if (options.Runs("flood"))
{
    await FloodScenario.RunAsync(context, warm16);
}

if (options.TokenServicePid > 0)
{
    report.AtMost("TokenService peak RSS, whole run (VmHWM)", FloodScenario.Mb(rss.HighWaterKiB()), FloodScenario.RssTargetMb, "0", " MB");
}

report.AddInterferenceRow(BenchContext.NoisyCores);
var markdown = report.ToMarkdown(Machine.Describe(), options);
Console.WriteLine(markdown);
if (options.Out is { } path)
{
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    await File.WriteAllTextAsync(path, "# make bench\n\n" + markdown);
}

return 0;
