using System.CommandLine;
using TokenService.Applications;

namespace TokenService.Cli;

/// <summary><c>applications create|list|delete|rotate-secret|update</c>, on the same implementation as the management API.</summary>
public static class ApplicationsCommand
{
    public static Command Create(CliContext context)
    {
        var name = new Option<string>("--name") { Description = "Unique name.", Required = true };
        var description = new Option<string>("--description") { Description = "What the application is for." };
        var scopes = new Option<string[]>("--scopes")
        {
            Description = "Scopes, space- or comma-separated or repeated (e.g. --scopes 'metric:query metric:stats').",
            AllowMultipleArgumentsPerToken = true,
        };
        var type = new Option<string>("--type") { Description = "confidential (default: has a secret) or public (native or browser app: no secret, PKCE)." };
        var redirectUris = new Option<string[]>("--redirect-uris")
        {
            Description = "Redirect URIs for authorization_code, space- or comma-separated (https, or http on 127.0.0.1/[::1]/localhost).",
            AllowMultipleArgumentsPerToken = true,
        };
        var grantTypes = new Option<string[]>("--grant-types")
        {
            Description = "Grant types (default: authorization_code refresh_token with redirect URIs, else client_credentials).",
            AllowMultipleArgumentsPerToken = true,
        };
        var lifetime = new Option<int?>("--access-token-lifetime")
        {
            Description = "Access-token lifetime in seconds (default: the server's; at most MaxAccessTokenLifetimeSeconds).",
        };
        var authMethod = new Option<string>("--token-endpoint-auth-method")
        {
            Description = "client_secret_basic (default; post works too), private_key_jwt (no secret: give --jwks or --jwks-uri) or " +
                          "none (public).",
        };
        var jwks = JwksOption();
        var jwksUri = JwksUriOption();
        var allowedAudiences = AudiencesOption();
        var tenants = new Option<string[]>("--allowed-tenants")
        {
            Description = "Restrict client_credentials tokens to these tenants (space- or comma-separated; default: any).",
            AllowMultipleArgumentsPerToken = true,
        };
        var policyValues = PolicyValuesOption();
        var requireDpop = new Option<bool>("--require-dpop")
        {
            Description = "Only DPoP-bound tokens (RFC 9449): every token request must carry a DPoP proof with the server's nonce.",
        };
        var create = new Command("create", "Create an application; prints it as JSON with its secret, shown only this once.")
        {
            name, description, scopes, type, redirectUris, grantTypes, lifetime, authMethod, jwks, jwksUri, tenants, policyValues,
            requireDpop, allowedAudiences,
        };
        create.SetAction(async (parse, ct) =>
        {
            var (keys, keysError) = ReadJwks(parse.GetValue(jwks));
            var (allowedValues, valuesError) = ReadPolicyValues(parse.GetValue(policyValues));
            if ((keysError ?? valuesError) is { } readError)
            {
                return await context.FailAsync(OpsCli.Usage, readError);
            }

            var allowedTenants = parse.GetResult(tenants) is { Implicit: false } ? CommaOrSpaceSeparated(parse.GetValue(tenants)) : null;
            var requested = CommaOrSpaceSeparated(parse.GetValue(scopes));
            var client = new ClientSettings(parse.GetValue(type), CommaOrSpaceSeparated(parse.GetValue(redirectUris)),
                CommaOrSpaceSeparated(parse.GetValue(grantTypes)));
            var (created, error) = await context.Get<Applications.Applications>()
                .CreateAsync(parse.GetValue(name), parse.GetValue(description), requested, client, allowedTenants,
                    new TokenSettings(parse.GetValue(lifetime), parse.GetValue(authMethod), keys, parse.GetValue(jwksUri))
                    {
                        AllowedPolicyValues = allowedValues, RequireDpop = parse.GetValue(requireDpop),
                        Audiences = parse.GetResult(allowedAudiences) is { Implicit: false }
                            ? CommaOrSpaceSeparated(parse.GetValue(allowedAudiences)) : null,
                    }, ct);
            return error is not null ? await context.FailAsync(OpsCli.Usage, $"{error.Field}: {error.Message}") : await context.PrintJsonAsync(created);
        });

        var list = new Command("list", "List applications as JSON (never secrets).");
        list.SetAction(async (_, ct) => await context.PrintJsonAsync(await context.Get<Applications.Applications>().ListAsync(ct)));

        var clientIdForDelete = new Argument<string>("clientId") { Description = "The application's client id." };
        var delete = new Command("delete", "Delete an application: its credentials stop working.") { clientIdForDelete };
        delete.SetAction(async (parse, ct) =>
        {
            var clientId = parse.GetValue(clientIdForDelete)!;
            return await context.Get<Applications.Applications>().DeleteAsync(clientId, ct)
                ? await context.PrintJsonAsync(new { deleted = clientId })
                : await context.FailAsync(OpsCli.NotFound, $"no application with client id '{clientId}'");
        });

        var rotate = ApplicationsLifecycleCommands.RotateSecret(context);

        return new Command("applications", "Manage applications (OAuth 2.0 clients).") { create, list, delete, rotate, ApplicationsLifecycleCommands.Update(context) };
    }

    /// <summary>--audiences: the RFC 8707 resources the application may request (default: every API its scopes serve).</summary>
    internal static Option<string[]> AudiencesOption() => new("--audiences")
    {
        Description = "The resources (RFC 8707 audiences) it may request, space- or comma-separated (default: every API its scopes serve).",
        AllowMultipleArgumentsPerToken = true,
    };

    /// <summary>--jwks-uri: where a private_key_jwt application publishes its JWK Set (instead of --jwks).</summary>
    internal static Option<string> JwksUriOption() => new("--jwks-uri")
    {
        Description = "private_key_jwt: the https URL of the application's JWK Set, fetched and refreshed by the service " +
                      "(instead of --jwks).",
    };

    /// <summary>--jwks: the application's public JWK Set, as JSON or a file's path (not @file: that is a response file).</summary>
    internal static Option<string> JwksOption() => new("--jwks")
    {
        Description = "private_key_jwt: the public JWK Set (RFC 7517), as JSON or a .json file's path; update replaces the keys.",
    };

    internal static (System.Text.Json.JsonElement? Jwks, string? Error) ReadJwks(string? value)
    {
        if (value is null)
        {
            return (null, null);
        }

        try
        {
            var json = value.TrimStart().StartsWith('{') ? value : File.ReadAllText(value);
            return (System.Text.Json.JsonDocument.Parse(json).RootElement.Clone(), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or ArgumentException)
        {
            return (null, "jwks: expected a JWK Set as JSON, or the path of a readable file holding one");
        }
    }

    /// <summary>--allowed-policy-values: a JSON object of names to allowed values, e.g. '{"region": ["eu", "us"]}'.</summary>
    internal static Option<string> PolicyValuesOption() => new("--allowed-policy-values")
    {
        Description = "Access Policy values the application may request, as JSON: '{\"region\": [\"eu\", \"us\"], \"plan\": [\"*\"]}' " +
                      "(default: any; the tenant is limited by --allowed-tenants).",
    };

    internal static (System.Text.Json.JsonElement? Values, string? Error) ReadPolicyValues(string? value)
    {
        if (value is null)
        {
            return (null, null);
        }

        try
        {
            return (System.Text.Json.JsonDocument.Parse(value).RootElement.Clone(), null);
        }
        catch (System.Text.Json.JsonException)
        {
            return (null, "--allowed-policy-values: expected a JSON object such as '{\"region\": [\"eu\"]}'");
        }
    }

    private static IEnumerable<string> CommaOrSpaceSeparated(string[]? values) =>
        (values ?? []).SelectMany(s => s.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
