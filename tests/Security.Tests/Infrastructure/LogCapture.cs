using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Security.Tests.Infrastructure;

/// <summary>One log call as every sink could see it: category, level, formatted message, each scope, exception text.</summary>
public sealed record CapturedLog(string Category, LogLevel Level, int EventId, string Message, IReadOnlyList<string> Scopes, string? Exception)
{
    public string AllText => $"{Category} {EventId} {Message} {string.Join(" | ", Scopes)} {Exception}";

    public bool HasRequestId => Scopes.Any(s => s.Contains("RequestId:", StringComparison.Ordinal));
}

/// <summary>
/// An <see cref="ILoggerProvider"/> that keeps every log entry at Trace level, scopes (rendered with their
/// key/value pairs) and exception text included, so a test can search it for anything that must never be logged.
/// </summary>
public sealed class LogCapture : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<CapturedLog> entries;
    private IExternalScopeProvider scopes = new LoggerExternalScopeProvider();

    public LogCapture()
        : this(new ConcurrentQueue<CapturedLog>())
    {
    }

    private LogCapture(ConcurrentQueue<CapturedLog> entries) => this.entries = entries;

    /// <summary>
    /// A provider for another host's logger factory, writing to the same entries. Each factory hands its provider its
    /// own scope provider, so one instance shared by two hosts would read one host's scopes for the other's lines.
    /// </summary>
    public LogCapture ForAnotherHost() => new(entries);

    public IReadOnlyCollection<CapturedLog> Entries => entries;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => scopes = scopeProvider;

    public void Clear() => entries.Clear();

    public void Dispose()
    {
    }

    private static string Render(object? scope)
    {
        if (scope is IEnumerable<KeyValuePair<string, object?>> pairs)
        {
            var text = new StringBuilder(scope.ToString()).Append(" {");
            foreach (var (key, value) in pairs)
            {
                text.Append(' ').Append(key).Append(':').Append(value);
            }

            return text.Append(" }").ToString();
        }

        return scope?.ToString() ?? "";
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner.scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scopeTexts = new List<string>();
            owner.scopes.ForEachScope((scope, list) => list.Add(Render(scope)), scopeTexts);
            var message = formatter(state, exception);
            if (state is IEnumerable<KeyValuePair<string, object?>> values)
            {
                // The structured values too: a JSON sink writes them as separate fields.
                message += " " + string.Join(" ", values.Select(v => $"{v.Key}={v.Value}"));
            }

            owner.entries.Enqueue(new CapturedLog(category, logLevel, eventId.Id, message, scopeTexts, exception?.ToString()));
        }
    }
}
