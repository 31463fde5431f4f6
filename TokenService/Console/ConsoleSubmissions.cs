using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace TokenService.WebConsole;

/// <summary>
/// One result per create form: each form carries a random id, and a second submission of the same form (a double
/// click, a resubmit after a slow answer) waits for the first and is told what it made instead of making another.
/// Within one instance; across instances the unique application name still lets only one through.
/// </summary>
public sealed class ConsoleSubmissions(TimeProvider time)
{
    public static readonly TimeSpan Remember = TimeSpan.FromMinutes(30);
    private const int MaxRemembered = 10_000;

    private readonly ConcurrentDictionary<string, (Task<string?> Result, DateTimeOffset At)> seen = new(StringComparer.Ordinal);

    public static string NewFormId() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    public static bool IsFormId(string? id) => id is { Length: 32 } && id.All(char.IsAsciiHexDigit);

    /// <summary>
    /// Runs <paramref name="create"/> for the first submission of <paramref name="formId"/>. Later ones get
    /// (false, what the first returned): the id of what it created, or null if it failed (then they may try again).
    /// </summary>
    public async Task<(bool First, string? Created)> OnceAsync(string formId, Func<Task<string?>> create)
    {
        Prune();
        var mine = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var entry = seen.GetOrAdd(formId, _ => (mine.Task, time.GetUtcNow()));
        if (entry.Result != mine.Task)
        {
            var earlier = await entry.Result;
            if (earlier is not null)
            {
                return (false, earlier);
            }

            seen.TryRemove(formId, out _);
            return await OnceAsync(formId, create);
        }

        try
        {
            var created = await create();
            mine.SetResult(created);
            if (created is null)
            {
                seen.TryRemove(formId, out _);
            }

            return (true, created);
        }
        catch (Exception e)
        {
            seen.TryRemove(formId, out _);
            mine.SetException(e);
            throw;
        }
    }

    private void Prune()
    {
        if (seen.Count < MaxRemembered / 2)
        {
            return;
        }

        var cutoff = time.GetUtcNow() - Remember;
        foreach (var (key, value) in seen)
        {
            if (value.At < cutoff || seen.Count > MaxRemembered)
            {
                seen.TryRemove(key, out _);
            }
        }
    }
}
