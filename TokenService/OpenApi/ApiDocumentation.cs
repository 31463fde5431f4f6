using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Scalar.AspNetCore;

namespace TokenService.OpenApi;

/// <summary>
/// The OpenAPI 3.1 document at <c>/openapi/v1.json</c> for callers' REST endpoints, and in Development a browsable
/// reference page at <c>/scalar</c>. The OAuth endpoints read their form and write their JSON by hand (one pass,
/// no reflection), so nothing can be inferred from their signatures: <see cref="OAuthOperations"/> describes them by
/// path, from the RFCs they implement. JSON endpoints (the management API) are described from their types.
/// </summary>
public static class ApiDocumentation
{
    public const string DocumentPath = "/openapi/v1.json";

    /// <summary>HTML pages and scrape endpoints are not a REST API: they stay out of the document.</summary>
    private static readonly string[] Excluded = ["oauth2/authorize", "login", "logout", "metrics", "openapi", "scalar"];

    public static IServiceCollection AddApiDocumentation(this IServiceCollection services) => services.AddOpenApi(options =>
    {
        options.ShouldInclude = description =>
            description.RelativePath is not { } path || !Excluded.Any(e => path.StartsWith(e, StringComparison.OrdinalIgnoreCase));
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new OpenApiInfo
            {
                Title = "TokenService",
                Version = "v1",
                Description = "OAuth 2.0 authorization server and OpenID Provider. Errors on the OAuth endpoints follow RFC 6749 s.5.2; " +
                              "the management API (/applications) takes a bearer token with scope application:admin.",
            };
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes = new Dictionary<string, IOpenApiSecurityScheme>
            {
                [OAuthOperations.ClientBasic] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "basic",
                    Description = "client_secret_basic: client id and secret, each form-encoded (RFC 6749 s.2.3.1). " +
                                  "client_secret_post (both in the form body) works too.",
                },
                [OAuthOperations.Bearer] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    BearerFormat = "JWT",
                    Description = "An access token from /oauth2/token.",
                },
            };
            return Task.CompletedTask;
        });
        options.AddOperationTransformer(OAuthOperations.Describe);
    });

    public static WebApplication MapApiDocumentation(this WebApplication app)
    {
        app.MapOpenApi(DocumentPath);
        if (app.Environment.IsDevelopment())
        {
            // The page's script is served from the package itself; nothing is fetched from elsewhere.
            app.MapScalarApiReference(o => o.WithOpenApiRoutePattern(DocumentPath).WithTitle("TokenService API"));
        }

        return app;
    }
}

/// <summary>The form-encoded OAuth endpoints, written from RFC 6749, RFC 7009 and RFC 7662.</summary>
internal static class OAuthOperations
{
    public const string ClientBasic = "clientBasic";
    public const string Bearer = "bearer";

    private const string Form = "application/x-www-form-urlencoded";

    public static Task Describe(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var path = "/" + context.Description.RelativePath?.TrimEnd('/');
        var post = string.Equals(context.Description.HttpMethod, "POST", StringComparison.OrdinalIgnoreCase);
        switch (path)
        {
            case Token.TokenEndpoint.Path when post:
                DescribeToken(operation);
                break;
            case "/oauth2/revoke" when post:
                DescribeRevoke(operation);
                break;
            case "/oauth2/introspect" when post:
                DescribeIntrospect(operation);
                break;
            default:
                if (path.StartsWith("/applications", StringComparison.Ordinal))
                {
                    operation.Tags = new HashSet<OpenApiTagReference> { new("Management API", context.Document) };
                    operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(Bearer, context.Document)] = ["application:admin"] }];
                }

                break;
        }

        return Task.CompletedTask;
    }

    private static void DescribeToken(OpenApiOperation operation)
    {
        operation.Summary = "Get a token (RFC 6749 s.3.2)";
        operation.Description =
            "grant_type client_credentials (RFC 6749 s.4.4), authorization_code with PKCE S256 (s.4.1, RFC 7636) or " +
            "refresh_token (s.6). The client authenticates with HTTP Basic or client_id + client_secret in the body, never both; " +
            "a public client sends only client_id. Responses carry Cache-Control: no-store.";
        operation.RequestBody = FormBody(new()
        {
            ["grant_type"] = Enum("The grant.", "client_credentials", "authorization_code", "refresh_token"),
            ["client_id"] = Text("The application's client id (client_secret_post, or a public client)."),
            ["client_secret"] = Text("The application's secret (client_secret_post)."),
            ["scope"] = Text("Space-separated subset of the application's scopes; omitted = all of them."),
            ["tenant"] = Text("Tenant id for tenant-level policies; becomes the token's tenant claim."),
            ["code"] = Text("authorization_code: the code from /oauth2/authorize."),
            ["redirect_uri"] = Text("authorization_code: the redirect_uri sent to /oauth2/authorize."),
            ["code_verifier"] = Text("authorization_code: the PKCE verifier (RFC 7636 s.4.5)."),
            ["refresh_token"] = Text("refresh_token: the refresh token to redeem (it is rotated)."),
        }, "grant_type");
        operation.Responses = new OpenApiResponses
        {
            ["200"] = Json("Issued (RFC 6749 s.5.1).", Object(new()
            {
                ["access_token"] = Text("RFC 9068 JWT, RS256, typ at+jwt."),
                ["token_type"] = Enum("Always Bearer.", "Bearer"),
                ["expires_in"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "Lifetime in seconds." },
                ["scope"] = Text("The granted scopes, space-separated."),
                ["refresh_token"] = Text("authorization_code / refresh_token with offline_access only."),
                ["id_token"] = Text("With the openid scope only."),
            }, "access_token", "token_type", "expires_in", "scope")),
            ["400"] = Error("invalid_request, invalid_grant, invalid_scope, unauthorized_client or unsupported_grant_type."),
            ["401"] = Error("invalid_client: unknown client or wrong secret (the same answer for both).", basicChallenge: true),
            ["429"] = Error("slow_down: too many failed authentications for this client id or address; see Retry-After."),
            ["503"] = Error("temporarily_unavailable: the database or the signing keys are not available; see Retry-After."),
        };
        operation.Security = ClientAuthentication();
    }

    private static void DescribeRevoke(OpenApiOperation operation)
    {
        operation.Summary = "Revoke a token (RFC 7009)";
        operation.Description = "The client that owns the token revokes it. An unknown or already invalid token is still 200 (s.2.2).";
        operation.RequestBody = FormBody(new()
        {
            ["token"] = Text("The access or refresh token."),
            ["token_type_hint"] = Enum("Where to look first.", "access_token", "refresh_token"),
        }, "token");
        operation.Responses = new OpenApiResponses
        {
            ["200"] = new OpenApiResponse { Description = "Revoked, or nothing to revoke." },
            ["400"] = Error("invalid_request: no token parameter."),
            ["401"] = Error("invalid_client.", basicChallenge: true),
            ["503"] = Error("temporarily_unavailable."),
        };
        operation.Security = ClientAuthentication();
    }

    private static void DescribeIntrospect(OpenApiOperation operation)
    {
        operation.Summary = "Introspect a token (RFC 7662)";
        operation.Description = "Whether a token is active, and its claims when it is. Any other answer than active=true means: do not accept it.";
        operation.RequestBody = FormBody(new()
        {
            ["token"] = Text("The token to look at."),
            ["token_type_hint"] = Enum("Where to look first.", "access_token", "refresh_token"),
        }, "token");
        operation.Responses = new OpenApiResponses
        {
            ["200"] = Json("RFC 7662 s.2.2; only active when the token is inactive.", Object(new()
            {
                ["active"] = new OpenApiSchema { Type = JsonSchemaType.Boolean },
                ["scope"] = Text("Space-separated scopes."),
                ["client_id"] = Text("The client the token was issued to."),
                ["sub"] = Text("Subject."),
                ["tenant"] = Text("Tenant, when one was requested."),
                ["token_type"] = Text("Bearer or refresh_token."),
                ["exp"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
                ["iat"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
                ["iss"] = Text("Issuer."),
                ["aud"] = Text("Audience."),
            }, "active")),
            ["400"] = Error("invalid_request: no token parameter."),
            ["401"] = Error("invalid_client: the caller must authenticate.", basicChallenge: true),
        };
        operation.Security = ClientAuthentication();
    }

    private static List<OpenApiSecurityRequirement> ClientAuthentication() =>
        [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ClientBasic)] = [] }, new OpenApiSecurityRequirement()];

    private static OpenApiRequestBody FormBody(Dictionary<string, IOpenApiSchema> fields, params string[] required) => new()
    {
        Required = true,
        Content = new Dictionary<string, OpenApiMediaType> { [Form] = new() { Schema = Object(fields, required) } },
    };

    private static OpenApiSchema Object(Dictionary<string, IOpenApiSchema> properties, params string[] required) => new()
    {
        Type = JsonSchemaType.Object,
        Properties = properties,
        Required = new HashSet<string>(required, StringComparer.Ordinal),
    };

    private static OpenApiSchema Text(string description) => new() { Type = JsonSchemaType.String, Description = description };

    private static OpenApiSchema Enum(string description, params string[] values) => new()
    {
        Type = JsonSchemaType.String,
        Description = description,
        Enum = values.Select(v => (JsonNode)JsonValue.Create(v)).ToList(),
    };

    private static OpenApiResponse Json(string description, IOpenApiSchema schema) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = schema } },
    };

    /// <summary>RFC 6749 s.5.2 error body.</summary>
    private static OpenApiResponse Error(string description, bool basicChallenge = false)
    {
        var response = Json(description, Object(new()
        {
            ["error"] = Text("The RFC 6749 s.5.2 error code."),
            ["error_description"] = Text("A sentence for the developer; never whether a client id exists."),
        }, "error"));
        if (basicChallenge)
        {
            response.Headers = new Dictionary<string, IOpenApiHeader>
            {
                ["WWW-Authenticate"] = new OpenApiHeader { Description = "Basic realm=\"token\" when the client used HTTP Basic.", Schema = Text("challenge") },
            };
        }

        return response;
    }
}
