using System.Text.RegularExpressions;
using TokenService.Cli;

namespace TokenService.Tests.Cli;

/// <summary>
/// `TokenService --help` and `--help` of every command, found by walking the Commands: sections from the root, so a
/// command added later is covered without editing this file. No database is touched: help never opens one.
/// </summary>
public sealed partial class HelpTests
{
    private static async Task<(int Code, string Out, string Error)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await OpsCli.RunAsync(args, stdout, stderr, new Dictionary<string, string?>
        {
            ["DATABASE_URL"] = "Host=127.0.0.1;Port=1;Username=nobody;Database=none",
        });
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static async Task<List<string[]>> AllCommandsAsync()
    {
        var found = new List<string[]>();
        var pending = new Queue<string[]>([[]]);
        while (pending.Count > 0)
        {
            var path = pending.Dequeue();
            found.Add(path);
            var (_, help, _) = await RunAsync([.. path, "--help"]);
            foreach (var name in SubcommandsIn(help))
            {
                pending.Enqueue([.. path, name]);
            }
        }

        return found;
    }

    private static IEnumerable<string> SubcommandsIn(string help)
    {
        var section = help.Split("Commands:", 2);
        return section.Length < 2 ? [] : CommandLine().Matches(section[1]).Select(m => m.Groups[1].Value);
    }

    [Test]
    public async Task Every_command_prints_usage_and_exits_zero_on_help()
    {
        var commands = await AllCommandsAsync();
        Assert.That(commands.Select(c => string.Join(' ', c)), Is.SupersetOf(new[]
        {
            "", "migrate", "applications", "applications create", "applications list", "applications delete",
            "applications rotate-secret", "keys", "keys rotate", "keys list", "users", "users create",
        }));
        foreach (var command in commands)
        {
            var (code, output, error) = await RunAsync([.. command, "--help"]);
            var name = "TokenService " + string.Join(' ', command);
            Assert.Multiple(() =>
            {
                Assert.That(code, Is.EqualTo(OpsCli.Ok), name);
                Assert.That(error, Is.Empty, name);
                Assert.That(output, Does.Contain("Usage:").And.Contain("Description:"), name);
                // The usage line starts with the executable's name (testhost here, TokenService when installed).
                Assert.That(output, Does.Match(@"Usage:\s+\S+" + Regex.Escape(string.Concat(command.Select(c => " " + c))) + @" [\[<]"), name);
            });
        }
    }

    [Test]
    public async Task Every_option_and_argument_has_a_description()
    {
        foreach (var command in await AllCommandsAsync())
        {
            var (_, output, _) = await RunAsync([.. command, "--help"]);
            foreach (var section in new[] { "Options:", "Arguments:" })
            {
                var parts = output.Split(section, 2);
                if (parts.Length < 2)
                {
                    continue;
                }

                // Each entry is "  --name <value>  Description"; an entry without a description has no second column.
                var entries = parts[1].Split("\n\n")[0].Split('\n', StringSplitOptions.RemoveEmptyEntries);
                foreach (var entry in entries)
                {
                    Assert.That(entry, Does.Match(@"^\s+\S.*?\S\s{2,}\S"), $"TokenService {string.Join(' ', command)}: '{entry.Trim()}'");
                }
            }
        }
    }

    [Test]
    public async Task Root_help_documents_the_exit_codes()
    {
        var (_, output, _) = await RunAsync("--help");
        Assert.That(output, Does.Contain("Exit codes: 0 success; 1 ").And.Contain("2 invalid usage").And.Contain("3 no such"));
    }

    [Test]
    public async Task Version_prints_the_version_and_exits_zero()
    {
        var (code, output, _) = await RunAsync("--version");
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(OpsCli.Ok));
            Assert.That(output.Trim(), Does.Match(@"^\d+\.\d+\.\d+"));
        });
    }

    /// <summary>A line of a Commands: section: two spaces, the command name, then its arguments or description.</summary>
    [GeneratedRegex(@"^  ([a-z][a-z-]*)\b", RegexOptions.Multiline)]
    private static partial Regex CommandLine();
}
