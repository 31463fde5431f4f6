using System.CommandLine;
using Microsoft.Extensions.Options;
using TokenService.Applications;

namespace TokenService.Cli;

/// <summary><c>applications rotate-secret</c> and <c>applications update</c>: the management API's operations, same code.</summary>
public static class ApplicationsLifecycleCommands
{
    public static Command RotateSecret(CliContext context)
    {
        var clientId = new Argument<string>("clientId") { Description = "The application's client id." };
        var grace = new Option<int?>("--grace-seconds")
        {
            Description = "How long the old secret keeps working, so callers can roll without downtime (default: option " +
                          "SecretRotationGracePeriodSeconds, 0 = stops at once).",
        };
        var rotate = new Command("rotate-secret", "Issue a new secret (printed once); the old one stops after the grace period.") { clientId, grace };
        rotate.SetAction(async (parse, ct) =>
        {
            var seconds = parse.GetValue(grace) ?? context.Get<IOptions<TokenServiceOptions>>().Value.SecretRotationGracePeriodSeconds;
            if (seconds is < 0 or > ApplicationsApi.MaxGracePeriodSeconds)
            {
                return await context.FailAsync(OpsCli.Usage, $"--grace-seconds must be between 0 and {ApplicationsApi.MaxGracePeriodSeconds}");
            }

            var id = parse.GetValue(clientId)!;
            return await context.Get<Applications.Applications>().RotateSecretAsync(id, TimeSpan.FromSeconds(seconds), ct) is { } rotated
                ? await context.PrintJsonAsync(rotated)
                : await context.FailAsync(OpsCli.NotFound, $"no application with client id '{id}'");
        });
        return rotate;
    }

    public static Command Update(CliContext context)
    {
        var clientId = new Argument<string>("clientId") { Description = "The application's client id." };
        var name = new Option<string>("--name") { Description = "New unique name." };
        var description = new Option<string>("--description") { Description = "New description." };
        var scopes = ListOption("--scopes", "Replace the scopes (space- or comma-separated).");
        var redirectUris = ListOption("--redirect-uris", "Replace the redirect URIs.");
        var grantTypes = ListOption("--grant-types", "Replace the grant types.");
        var tenants = ListOption("--allowed-tenants", "Restrict client_credentials tokens to these tenants.");
        var anyTenant = new Option<bool>("--any-tenant") { Description = "Lift the tenant restriction." };
        var lifetime = new Option<int?>("--access-token-lifetime") { Description = "Set the access-token lifetime (seconds)." };
        var defaultLifetime = new Option<bool>("--default-access-token-lifetime") { Description = "Back to the server's lifetime." };
        var jwks = ApplicationsCommand.JwksOption();
        var jwksUri = ApplicationsCommand.JwksUriOption();
        var policyValues = ApplicationsCommand.PolicyValuesOption();
        var anyPolicyValues = new Option<bool>("--any-policy-values") { Description = "Lift the policy-values restriction." };
        var allowedAudiences = ListOption("--audiences", "Restrict the resources (RFC 8707 audiences) it may request.");
        var anyAudience = new Option<bool>("--any-audience") { Description = "Lift the audience restriction." };
        var requireDpop = new Option<bool?>("--require-dpop")
        {
            Description = "Require DPoP-bound tokens (RFC 9449): --require-dpop or --require-dpop true; --require-dpop false lifts it.",
            Arity = ArgumentArity.ZeroOrOne,
            DefaultValueFactory = _ => null,
            CustomParser = r =>
            {
                if (r.Tokens.Count == 0)
                {
                    return true;
                }

                if (bool.TryParse(r.Tokens[0].Value, out var value))
                {
                    return value;
                }

                r.AddError("--require-dpop takes true or false");
                return null;
            },
        };
        var update = new Command("update", "Change an application; prints it as JSON (never the secret).")
        {
            clientId, name, description, scopes, redirectUris, grantTypes, tenants, anyTenant, lifetime, defaultLifetime, jwks, jwksUri,
            policyValues, anyPolicyValues, requireDpop, allowedAudiences, anyAudience,
        };
        update.SetAction(async (parse, ct) =>
        {
            // A list option's value is an empty array when it is not given at all: only what the operator typed is a
            // change, everything else keeps its current value (as a PATCH without the member does).
            var tenantList = Given(parse, tenants);
            if (tenantList is not null && parse.GetValue(anyTenant))
            {
                return await context.FailAsync(OpsCli.Usage, "use one of --allowed-tenants and --any-tenant, not both");
            }

            if (parse.GetValue(lifetime) is not null && parse.GetValue(defaultLifetime))
            {
                return await context.FailAsync(OpsCli.Usage,
                    "use one of --access-token-lifetime and --default-access-token-lifetime, not both");
            }

            if (Given(parse, allowedAudiences) is not null && parse.GetValue(anyAudience))
            {
                return await context.FailAsync(OpsCli.Usage, "use one of --audiences and --any-audience, not both");
            }

            if (parse.GetValue(policyValues) is not null && parse.GetValue(anyPolicyValues))
            {
                return await context.FailAsync(OpsCli.Usage, "use one of --allowed-policy-values and --any-policy-values, not both");
            }

            var (keys, keysError) = ApplicationsCommand.ReadJwks(parse.GetValue(jwks));
            var (allowedValues, valuesError) = ApplicationsCommand.ReadPolicyValues(parse.GetValue(policyValues));
            if ((keysError ?? valuesError) is { } readError)
            {
                return await context.FailAsync(OpsCli.Usage, readError);
            }

            var changes = new ApplicationChanges(parse.GetValue(name), parse.GetValue(description), Split(Given(parse, scopes)),
                Split(Given(parse, redirectUris)), Split(Given(parse, grantTypes)))
            {
                AllowedTenantsChanged = tenantList is not null || parse.GetValue(anyTenant),
                AllowedTenants = Split(tenantList),
                AccessTokenLifetimeChanged = parse.GetValue(lifetime) is not null || parse.GetValue(defaultLifetime),
                AccessTokenLifetimeSeconds = parse.GetValue(lifetime),
                Jwks = keys,
                JwksUri = parse.GetValue(jwksUri),
                AllowedPolicyValuesChanged = allowedValues is not null || parse.GetValue(anyPolicyValues),
                AllowedPolicyValues = allowedValues,
                RequireDpop = parse.GetValue(requireDpop),
                AudiencesChanged = Given(parse, allowedAudiences) is not null || parse.GetValue(anyAudience),
                Audiences = Split(Given(parse, allowedAudiences)),
            };
            var id = parse.GetValue(clientId)!;
            var (updated, error) = await context.Get<Applications.Applications>().UpdateAsync(id, changes, ct);
            return error is not null ? await context.FailAsync(OpsCli.Usage, $"{error.Field}: {error.Message}")
                : updated is not null ? await context.PrintJsonAsync(updated)
                : await context.FailAsync(OpsCli.NotFound, $"no application with client id '{id}'");
        });
        return update;
    }

    /// <summary>The option's values when it was typed (even with no value: an empty list), null when it was not.</summary>
    private static string[]? Given(ParseResult parse, Option<string[]> option) =>
        parse.GetResult(option) is { Implicit: false } ? parse.GetValue(option) ?? [] : null;

    private static Option<string[]> ListOption(string name, string description) =>
        new(name) { Description = description, AllowMultipleArgumentsPerToken = true };

    private static string[]? Split(string[]? values) =>
        values?.SelectMany(s => s.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
}
