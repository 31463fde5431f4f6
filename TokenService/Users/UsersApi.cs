using Microsoft.AspNetCore.Http.HttpResults;
using TokenService.Applications;

namespace TokenService.Users;

/// <summary>
/// The management API for users' roles and tenant memberships (issue 11 points 4 and 5), and sign-out everywhere:
/// REST JSON under /users, for management-audience tokens with application:admin, the same implementation as the CLI
/// (<see cref="UserAccounts"/>). Role and tenant changes are idempotent PUT/DELETE of one member of a set.
/// </summary>
public static class UsersApi
{
    public static RouteGroupBuilder MapUsers(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/users").RequireAuthorization(ManagementAuthentication.Policy).DisableAntiforgery();
        group.MapGet("/", ListAsync);
        group.MapGet("/{username}", GetAsync);
        group.MapPut("/{username}/roles/{role}", (string username, string role, UserAccounts users, CancellationToken ct) =>
            ChangeAsync(UserAccessKind.Role, username, role, add: true, users, ct));
        group.MapDelete("/{username}/roles/{role}", (string username, string role, UserAccounts users, CancellationToken ct) =>
            ChangeAsync(UserAccessKind.Role, username, role, add: false, users, ct));
        group.MapPut("/{username}/tenants/{tenant}", (string username, string tenant, UserAccounts users, CancellationToken ct) =>
            ChangeAsync(UserAccessKind.Tenant, username, tenant, add: true, users, ct));
        group.MapDelete("/{username}/tenants/{tenant}", (string username, string tenant, UserAccounts users, CancellationToken ct) =>
            ChangeAsync(UserAccessKind.Tenant, username, tenant, add: false, users, ct));
        group.MapPost("/{username}/sign-out", SignOutAsync);
        return group;
    }

    public static async Task<Ok<IReadOnlyList<UserView>>> ListAsync(UserAccounts users, CancellationToken ct) =>
        TypedResults.Ok(await users.ListAsync(ct));

    public static async Task<Results<Ok<UserView>, ProblemHttpResult>> GetAsync(string username, UserAccounts users,
        CancellationToken ct) =>
        username.Length <= UserAccounts.MaxUsernameLength && await users.FindAsync(username, ct) is { } found
            ? TypedResults.Ok(found)
            : NotFound();

    public static async Task<Results<Ok<UserView>, ValidationProblem, ProblemHttpResult>> ChangeAsync(
        UserAccessKind kind, string username, string value, bool add, UserAccounts users, CancellationToken ct)
    {
        if (username.Length > UserAccounts.MaxUsernameLength)
        {
            return NotFound();
        }

        var (user, error) = await users.ChangeAccessAsync(kind, username, value, add, ct);
        return error is not null ? JsonBody.Problem(error.Field, error.Message) : user is not null ? TypedResults.Ok(user) : NotFound();
    }

    /// <summary>Every login session and every grant of the user ends; their access tokens are refused within seconds.</summary>
    public static async Task<Results<NoContent, ProblemHttpResult>> SignOutAsync(string username, UserAccounts users,
        CancellationToken ct) =>
        username.Length <= UserAccounts.MaxUsernameLength && await users.SignOutEverywhereAsync(username, ct)
            ? TypedResults.NoContent()
            : NotFound();

    private static ProblemHttpResult NotFound() => TypedResults.Problem("no such user", statusCode: StatusCodes.Status404NotFound);
}
