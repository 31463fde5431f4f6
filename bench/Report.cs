using System.Globalization;
using System.Text;

namespace Bench;

/// <summary>
/// The results table: each figure beside its issue-8 target, and for a miss by how much the measured value is
/// off ("-23%" is 23% short of a floor, "+30%" is 30% over a ceiling). Details per run follow the table.
/// </summary>
internal sealed class Report
{
    private readonly List<(string Figure, string Measured, string Target, string Verdict)> rows = [];
    private readonly List<string> details = [];

    public void AtLeast(string figure, double measured, double target, string format, string unit = "")
    {
        var verdict = double.IsNaN(measured) ? "no data" : measured >= target ? "pass" : $"**miss** ({Off(measured, target)})";
        rows.Add((figure, Num(measured, format) + unit, $"≥ {Num(target, format)}{unit}", verdict));
    }

    public void AtMost(string figure, double measured, double target, string format, string unit = "")
    {
        var verdict = double.IsNaN(measured) ? "no data" : measured <= target ? "pass" : $"**miss** ({Off(measured, target)})";
        rows.Add((figure, Num(measured, format) + unit, $"≤ {Num(target, format)}{unit}", verdict));
    }

    public void Info(string figure, string measured, string target = "—", string verdict = "—") => rows.Add((figure, measured, target, verdict));

    public void Unavailable(string figure, string reason) => rows.Add((figure, "not available", "—", Clean(reason)));

    public void Detail(string line) => details.Add(line);

    private (string Window, double Cores) interference = ("", 0);

    /// <summary>Keeps the window where other processes took the most CPU, for the interference row.</summary>
    public void NoteInterference(string window, double otherCores)
    {
        if (otherCores > interference.Cores)
        {
            interference = (window, otherCores);
        }
    }

    /// <summary>
    /// Last row: did anything else compete for the cores? Much more than the kernel's share means another job ran
    /// during the bench, and the figures understate the services.
    /// </summary>
    public void AddInterferenceRow(double noisyCores) => rows.Add((
        "Other processes' CPU, worst window (all but the services, PostgreSQL and bench)",
        $"{Num(interference.Cores, "0.00")} cores{(interference.Window.Length > 0 ? $" ({interference.Window})" : "")}",
        $"≤ {Num(noisyCores, "0.00")} cores",
        interference.Cores <= noisyCores ? "clean run" : "**noisy**: rerun on a quiet machine"));

    public static string Num(double value, string format) => double.IsNaN(value) ? "n/a" : value.ToString(format, CultureInfo.InvariantCulture);

    public static string Ms(double value) => Num(value, value < 10 ? "0.00" : "0.0") + " ms";

    private static string Off(double measured, double target) =>
        ((measured / target) - 1).ToString("+0%;-0%", CultureInfo.InvariantCulture);

    /// <summary>Table cells are one line without pipes.</summary>
    private static string Clean(string text)
    {
        var line = text.ReplaceLineEndings(" ").Replace("|", "\\|", StringComparison.Ordinal);
        return line.Length > 240 ? line[..240] + "…" : line;
    }

    public string ToMarkdown(Machine machine, BenchOptions options)
    {
        var md = new StringBuilder();
        md.AppendLine("## Machine").AppendLine();
        foreach (var line in machine.Lines(options))
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- {line}");
        }

        md.AppendLine().AppendLine("## Results").AppendLine();
        md.AppendLine("| figure | measured | target | verdict |").AppendLine("| --- | ---: | ---: | --- |");
        foreach (var (figure, measured, target, verdict) in rows)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {Clean(figure)} | {Clean(measured)} | {Clean(target)} | {Clean(verdict)} |");
        }

        md.AppendLine().AppendLine("## Runs").AppendLine();
        foreach (var line in details)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"- {line}");
        }

        return md.ToString();
    }
}
