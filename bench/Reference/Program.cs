using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

// The bare endpoint the issue measures us against: POST /oauth2/token reads the form, signs an RS256 access token
// with the claims ours carries (iss, sub, aud, exp, iat, nbf, jti, client_id, scope) through
// JsonWebTokenHandler.CreateToken, and answers the same JSON. No client authentication, no database, no limits:
// everything ours does beyond signing is extra work ours must still beat. Same GC settings as the TokenService.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
var app = builder.Build();

var key = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "reference" };
var credentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256);
var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
var issuer = app.Configuration["Issuer"] ?? "http://127.0.0.1";

app.MapPost("/oauth2/token", async (HttpContext context) =>
{
    var form = await context.Request.ReadFormAsync();
    var clientId = form["client_id"].ToString();
    var scope = form["scope"].ToString() is { Length: > 0 } asked ? asked : "metric:query";
    var now = DateTime.UtcNow;
    var token = handler.CreateToken(new SecurityTokenDescriptor
    {
        Issuer = issuer,
        Audience = "resource-api",
        IssuedAt = now,
        NotBefore = now,
        Expires = now.AddHours(1),
        TokenType = "at+jwt",
        SigningCredentials = credentials,
        Claims = new Dictionary<string, object>
        {
            ["sub"] = clientId,
            ["client_id"] = clientId,
            ["scope"] = scope,
            ["jti"] = Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(16)),
        },
    });
    context.Response.Headers.CacheControl = "no-store";
    return Results.Json(new Answer(token, "Bearer", 3600, scope));
});
app.MapGet("/healthz", () => "ok");
app.Run();

internal sealed record Answer(
    [property: System.Text.Json.Serialization.JsonPropertyName("access_token")] string AccessToken,
    [property: System.Text.Json.Serialization.JsonPropertyName("token_type")] string TokenType,
    [property: System.Text.Json.Serialization.JsonPropertyName("expires_in")] int ExpiresIn,
    [property: System.Text.Json.Serialization.JsonPropertyName("scope")] string Scope);
