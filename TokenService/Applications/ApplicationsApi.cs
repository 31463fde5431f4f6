using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Shared.Http;

namespace TokenService.Applications;

/// <summary>
/// The management API: REST JSON under /applications for bearer tokens with application:admin. The same
/// implementation as the CLI (<see cref="Applications"/>); secrets appear only in the create and rotate responses.
/// </summary>
public static class ApplicationsApi
{
    public const int MaxGracePeriodSeconds = 30 * 24 * 3600;

    public static RouteGroupBuilder MapApplications(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/applications").RequireAuthorization(ManagementAuthentication.Policy).DisableAntiforgery();
        group.MapPost("/", CreateAsync);
        group.MapGet("/", ListAsync);
        group.MapGet("/{clientId}", GetAsync);
        group.MapPatch("/{clientId}", UpdateAsync);
        group.MapDelete("/{clientId}", DeleteAsync);
        group.MapPost("/{clientId}/rotate-secret", RotateSecretAsync);
        return group;
    }

    public sealed record CreateRequest(string? Name, string? Description, string[]? Scopes, string? Type, string[]? RedirectUris,
        string[]? GrantTypes, string[]? AllowedTenants, int? AccessTokenLifetimeSeconds = null, string? TokenEndpointAuthMethod = null,
        JsonElement? Jwks = null, string? JwksUri = null, JsonElement? AllowedPolicyValues = null, bool? RequireDpop = null,
        string[]? Audiences = null);

    /// <summary>Absent members stay as they are. <c>allowedTenants: null</c> lifts the restriction (any tenant).</summary>
    public sealed record UpdateRequest(string? Name, string? Description, string[]? Scopes, string[]? RedirectUris, string[]? GrantTypes,
        JsonElement AllowedTenants, string? Type, JsonElement AccessTokenLifetimeSeconds = default, string? TokenEndpointAuthMethod = null,
        JsonElement? Jwks = null, string? JwksUri = null, JsonElement AllowedPolicyValues = default, bool? RequireDpop = null,
        JsonElement Audiences = default);

    public sealed record RotateRequest(int? GracePeriodSeconds);

    public static async Task<Results<Created<ApplicationWithSecret>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        HttpContext context, Applications applications, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<CreateRequest>(context.Request, null, ct);
        if (problem is not null)
        {
            return problem;
        }

        var (created, error) = await applications.CreateAsync(body!.Name, body.Description, body.Scopes,
            new ClientSettings(body.Type, body.RedirectUris, body.GrantTypes), body.AllowedTenants,
            new TokenSettings(body.AccessTokenLifetimeSeconds, body.TokenEndpointAuthMethod, body.Jwks, body.JwksUri)
            {
                AllowedPolicyValues = body.AllowedPolicyValues, RequireDpop = body.RequireDpop, Audiences = body.Audiences,
            }, ct);
        if (error is not null)
        {
            return error.IsConflict ? Conflict(error) : JsonBody.Problem(error.Field, error.Message);
        }

        NoStore.Apply(context.Response);
        return TypedResults.Created($"/applications/{created!.ClientId}", created);
    }

    public static async Task<Ok<IReadOnlyList<ApplicationView>>> ListAsync(Applications applications, CancellationToken ct) =>
        TypedResults.Ok(await applications.ListAsync(ct));

    public static async Task<Results<Ok<ApplicationView>, ProblemHttpResult>> GetAsync(string clientId, Applications applications, CancellationToken ct) =>
        IsPlausible(clientId) && await applications.GetAsync(clientId, ct) is { } found ? TypedResults.Ok(found) : NotFound(clientId);

    public static async Task<Results<Ok<ApplicationView>, ValidationProblem, ProblemHttpResult>> UpdateAsync(
        string clientId, HttpContext context, Applications applications, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync<UpdateRequest>(context.Request, null, ct);
        if (problem is not null)
        {
            return problem;
        }

        if (body!.Type is not null)
        {
            return JsonBody.Problem("type", "the client type cannot change (it decides whether there is a secret): create a new application");
        }

        if (body.AllowedTenants.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null or JsonValueKind.Array) ||
            (body.AllowedTenants.ValueKind == JsonValueKind.Array && body.AllowedTenants.EnumerateArray().Any(t => t.ValueKind != JsonValueKind.String)))
        {
            return JsonBody.Problem("allowedTenants", "allowedTenants must be null (any tenant) or an array of tenant IDs");
        }

        if (body.Audiences.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null or JsonValueKind.Array) ||
            (body.Audiences.ValueKind == JsonValueKind.Array &&
             body.Audiences.EnumerateArray().Any(a => a.ValueKind != JsonValueKind.String)))
        {
            return JsonBody.Problem("audiences", "audiences must be null (every API its scopes serve) or an array of resource URIs");
        }

        // Absent: unchanged; null: back to the server's default; otherwise whole seconds.
        var lifetime = body.AccessTokenLifetimeSeconds;
        if (lifetime.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Null) &&
            !(lifetime.ValueKind == JsonValueKind.Number && lifetime.TryGetInt32(out _)))
        {
            return JsonBody.Problem("accessTokenLifetimeSeconds", "accessTokenLifetimeSeconds must be a whole number of seconds or null");
        }

        if (!IsPlausible(clientId))
        {
            return NotFound(clientId);
        }

        var changes = new ApplicationChanges(body.Name, body.Description, body.Scopes, body.RedirectUris, body.GrantTypes)
        {
            AllowedTenantsChanged = body.AllowedTenants.ValueKind != JsonValueKind.Undefined,
            AllowedTenants = body.AllowedTenants.ValueKind == JsonValueKind.Array
                ? body.AllowedTenants.EnumerateArray().Select(t => t.GetString()!).ToArray() : null,
            AccessTokenLifetimeChanged = lifetime.ValueKind != JsonValueKind.Undefined,
            AccessTokenLifetimeSeconds = lifetime.ValueKind == JsonValueKind.Number ? lifetime.GetInt32() : null,
            TokenEndpointAuthMethod = body.TokenEndpointAuthMethod, Jwks = body.Jwks, JwksUri = body.JwksUri,
            AllowedPolicyValuesChanged = body.AllowedPolicyValues.ValueKind != JsonValueKind.Undefined,
            AllowedPolicyValues = body.AllowedPolicyValues.ValueKind == JsonValueKind.Undefined ? null : body.AllowedPolicyValues,
            RequireDpop = body.RequireDpop,
            AudiencesChanged = body.Audiences.ValueKind != JsonValueKind.Undefined,
            Audiences = body.Audiences.ValueKind == JsonValueKind.Array
                ? body.Audiences.EnumerateArray().Select(a => a.GetString()!).ToArray() : null,
        };
        var (updated, error) = await applications.UpdateAsync(clientId, changes, ct);
        if (error is not null)
        {
            return error.IsConflict ? Conflict(error) : JsonBody.Problem(error.Field, error.Message);
        }

        return updated is not null ? TypedResults.Ok(updated) : NotFound(clientId);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string clientId, Applications applications, CancellationToken ct) =>
        IsPlausible(clientId) && await applications.DeleteAsync(clientId, ct) ? TypedResults.NoContent() : NotFound(clientId);

    public static async Task<Results<Ok<ApplicationWithSecret>, ValidationProblem, ProblemHttpResult>> RotateSecretAsync(
        string clientId, HttpContext context, Applications applications, IOptions<TokenServiceOptions> options, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync(context.Request, new RotateRequest(null), ct);
        if (problem is not null)
        {
            return problem;
        }

        var seconds = body!.GracePeriodSeconds ?? options.Value.SecretRotationGracePeriodSeconds;
        if (seconds is < 0 or > MaxGracePeriodSeconds)
        {
            return JsonBody.Problem("gracePeriodSeconds", $"gracePeriodSeconds must be between 0 and {MaxGracePeriodSeconds}");
        }

        if (!IsPlausible(clientId) || await applications.RotateSecretAsync(clientId, TimeSpan.FromSeconds(seconds), ct) is not { } rotated)
        {
            return NotFound(clientId);
        }

        NoStore.Apply(context.Response);
        return TypedResults.Ok(rotated);
    }

    private static bool IsPlausible(string clientId) => clientId.Length <= Token.ClientAuthentication.MaxClientIdLength;

    private static ProblemHttpResult NotFound(string clientId) => TypedResults.Problem(
        $"no application with client id '{Token.OAuthError.Truncate(clientId)}'", statusCode: StatusCodes.Status404NotFound, title: "Not Found");

    /// <summary>The request clashes with another application (name taken).</summary>
    private static ProblemHttpResult Conflict(ValidationError error) =>
        TypedResults.Problem(error.Message, statusCode: StatusCodes.Status409Conflict, title: "Conflict");
}
