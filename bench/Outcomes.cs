using System.Globalization;

namespace Bench;

/// <summary>Counts by HTTP status and success, plus the two ways a request can end without a status.</summary>
internal sealed class Outcomes
{
    /// <summary>Still in flight when the run was cancelled, a few seconds after its window closed.</summary>
    public const int Unfinished = -1;

    public const int ConnectionError = -2;

    private readonly Dictionary<(int Status, bool Ok), long> counts = [];

    public void Add(int status, bool ok) => counts[(status, ok)] = counts.GetValueOrDefault((status, ok)) + 1;

    public long Ok => counts.Where(c => c.Key.Ok).Sum(c => c.Value);

    public long Total => counts.Values.Sum();

    public long Failed => Total - Ok;

    public long Count(int status) => counts.Where(c => c.Key.Status == status).Sum(c => c.Value);

    public static Outcomes Merge(IEnumerable<Outcomes> parts)
    {
        var merged = new Outcomes();
        foreach (var (key, value) in parts.SelectMany(p => p.counts))
        {
            merged.counts[key] = merged.counts.GetValueOrDefault(key) + value;
        }

        return merged;
    }

    /// <summary>"200 × 41,230; 401 × 3" (failures marked), most frequent first.</summary>
    public string Describe(bool onlyFailures = false) => counts.Count == 0 ? "none" : string.Join("; ",
        counts.Where(c => !onlyFailures || !c.Key.Ok).OrderByDescending(c => c.Value)
            .Select(c => string.Create(CultureInfo.InvariantCulture, $"{Label(c.Key.Status, c.Key.Ok)} × {c.Value:N0}")))
        is { Length: > 0 } text ? text : "none";

    private static string Label(int status, bool ok) => status switch
    {
        Unfinished => "unfinished at end",
        ConnectionError => "connection error",
        200 when !ok => "200 failing the check",
        _ => status.ToString(CultureInfo.InvariantCulture),
    };
}
