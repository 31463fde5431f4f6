using GraphQL;
using GraphQL.Execution;
using GraphQLParser.AST;
using Npgsql;
using ResourceApi.Data;

namespace ResourceApi.Graph;

/// <summary>
/// What a caller learns when a resolver fails: its own mistake in its words; a statement timeout as such; anything
/// else (the database down, the pool exhausted, a bug) as "temporarily unavailable", with the exception in the log
/// only. The error is replaced whole, so neither the message nor <c>extensions.code</c> (which graphql-dotnet
/// derives from the exception type: NPGSQL, POSTGRES, TIMEOUT) names a driver or an exception.
/// </summary>
internal static partial class ResolverFailures
{
    public const string UnavailableCode = "TEMPORARILY_UNAVAILABLE";

    public const string InsufficientPolicyCode = "INSUFFICIENT_POLICY";

    /// <summary>
    /// 403 when an Access Policy refused a field (the caller may not read it: Propel's "insufficient scopes or policies"),
    /// 400 when a policy change was bad input; null otherwise.
    /// </summary>
    public static int? PolicyStatus(ExecutionResult result) =>
        result.Errors is not { Count: > 0 } errors ? null
        : errors.Any(e => e.InnerException is AccessPolicyRefusedException) ? StatusCodes.Status403Forbidden
        : errors.Any(e => e.InnerException is AccessPolicyInputException) ? StatusCodes.Status400BadRequest
        : null;

    public static void Explain(UnhandledExceptionContext failure, ILogger logger)
    {
        failure.Exception = failure.OriginalException switch
        {
            ResourceRequestException request => new ExecutionError(request.Message) { Code = "BAD_USER_INPUT" },
            // Kept as the inner exception (never serialized) so the endpoint can answer 403 / 400 (issue 15).
            AccessPolicyRefusedException refused => new ExecutionError(refused.Message, refused) { Code = InsufficientPolicyCode },
            AccessPolicyInputException input => new ExecutionError(input.Message, input) { Code = "BAD_USER_INPUT" },
            // A change that waited past the statement timeout waited for a lock (another change of the same pool, or a
            // long query of its table): nothing the caller can narrow, so retryable, 503 with Retry-After.
            PostgresException { SqlState: PostgresErrorCodes.QueryCanceled } when failure.FieldContext?.Operation.Operation is
                OperationType.Mutation => new ExecutionError(
                "temporarily unavailable: the change waited too long for other work on the same data; retry shortly")
                { Code = UnavailableCode },
            PostgresException { SqlState: PostgresErrorCodes.QueryCanceled } => new ExecutionError(
                "the query took longer than the statement timeout; narrow the time range or page size")
            { Code = "STATEMENT_TIMEOUT" },
            // PostgreSQL text cannot hold U+0000 (22021) or an unconvertible character (22P05): the caller's input, never an
            // outage to retry (an outside review saw 503 TEMPORARILY_UNAVAILABLE for a NUL in a metric name).
            PostgresException { SqlState: PostgresErrorCodes.CharacterNotInRepertoire or PostgresErrorCodes.UntranslatableCharacter } =>
                new ExecutionError("a string argument holds a character that cannot be stored or compared (U+0000)")
                {
                    Code = "BAD_USER_INPUT",
                },
            OperationCanceledException => new ExecutionError("the request was cancelled") { Code = "CANCELLED" },
            _ => Unavailable(failure, logger),
        };
    }

    /// <summary>True when every root field failed as unavailable: nothing was served, so 503 (with Retry-After) says it best.</summary>
    public static bool NothingServed(ExecutionResult result, GraphQLOperationDefinition operation)
    {
        if (result.Errors is not { Count: > 0 } errors || errors.Any(e => e.Code != UnavailableCode))
        {
            return false;
        }

        var roots = operation.SelectionSet.Selections.OfType<GraphQLField>().Select(f => (f.Alias?.Name ?? f.Name).StringValue).ToList();
        var failed = errors.Select(e => e.Path?.FirstOrDefault() as string).ToHashSet(StringComparer.Ordinal);
        return roots.Count == operation.SelectionSet.Selections.Count && roots.All(failed.Contains);
    }

    private static ExecutionError Unavailable(UnhandledExceptionContext failure, ILogger logger)
    {
        LogResolverFailed(logger, failure.FieldContext?.FieldDefinition.Name ?? "(document)", failure.OriginalException);
        return new ExecutionError("temporarily unavailable: the data could not be read; retry shortly") { Code = UnavailableCode };
    }

    [LoggerMessage(3001, LogLevel.Error, "Resolving {Field} failed")]
    private static partial void LogResolverFailed(ILogger logger, string field, Exception exception);
}
