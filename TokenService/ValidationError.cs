namespace TokenService;

/// <summary>
/// A caller mistake, naming the field: the one error value of every create/update operation (applications, users),
/// turned into RFC 9457 problem details by the management API and into a one-line error by the CLI.
/// </summary>
public sealed record ValidationError(string Field, string Message)
{
    /// <summary>The request clashes with the current state (name taken): 409 rather than 400.</summary>
    public bool IsConflict { get; init; }
}
