using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Microsoft.Extensions.Options;
using Shared.Protocol;
using TokenService.Issuance;
using TokenService.Keys;
using TokenService.Revocation;
using static TokenService.WebConsole.ConsoleHtml;

namespace TokenService.WebConsole;

/// <summary>
/// Paste a JWT, see its header and claims, and whether its signature verifies against this service's keys, whether
/// it has expired and whether it was revoked. All on the server; the token is neither logged nor stored, and the
/// answer is not cached. A POST (the token must not sit in a URL), allowed to viewers: it changes nothing.
/// </summary>
public static class InspectorPage
{
    public const string Section = "/console/inspector";

    public static void Map(RouteGroupBuilder pages)
    {
        pages.MapGet("/inspector", (HttpContext context) => Render(ConsoleGate.Operator(context), "", null, null));
        pages.MapPost("/inspector", InspectAsync).WithMetadata(new ConsoleGate.ReadOnlyAction());
    }

    public static async Task<IResult> InspectAsync(HttpContext context, KeyRing ring, RevocationList revocations,
        IOptions<TokenServiceOptions> options,
        TimeProvider time, CancellationToken ct)
    {
        var op = ConsoleGate.Operator(context);
        var token = context.Request.Form["token"].ToString().Trim();
        if (token.Length == 0 || token.Length > AccessTokenReader.MaxTokenLength || token.Count(c => c == '.') != 2)
        {
            return Render(op, token, "a JWT is three base64url parts separated by dots (header.payload.signature)", null,
                StatusCodes.Status400BadRequest);
        }

        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(token);
        }
        catch (Exception e) when (e is ArgumentException or SecurityTokenException or JsonException or FormatException)
        {
            return Render(op, token, "this is not a readable JWT: its header or payload is not base64url-encoded JSON", null,
                StatusCodes.Status400BadRequest);
        }

        var handler = new JsonWebTokenHandler { MapInboundClaims = false };
        var signature = await handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = false,
            RequireExpirationTime = false,
            RequireSignedTokens = true,
            ValidAlgorithms = SigningAlgorithms.All,
            IssuerSigningKeyResolver = (_, _, kid, _) => ring.Current?.VerificationKeys.Where(k => kid is null || k.KeyId == kid) ?? [],
        });
        var now = time.GetUtcNow().UtcDateTime;
        var clientId = jwt.TryGetPayloadValue<string>(ClaimNames.ClientId, out var c) ? c : null;
        var grantId = jwt.TryGetPayloadValue<string>(ClaimNames.GrantId, out var g) ? g : null;
        var revoked = jwt.Id is { Length: > 0 } || clientId is not null || grantId is not null
            ? await revocations.IsRevokedAsync(jwt.Id, clientId,
                jwt.IssuedAt == DateTime.MinValue ? null : new DateTimeOffset(jwt.IssuedAt, TimeSpan.Zero),
                grantId, ct)
            : false;
        var facts = new StringBuilder("<div class=\"card\"><dl>")
            .Append("<dt>Signature</dt><dd>").Append(signature.IsValid ? $"verifies with key <code>{E(jwt.Kid)}</code> of this service"
                : $"does not verify against this service's published keys{(jwt.Kid is { Length: > 0 } ? $" (kid {E(jwt.Kid)})" : "")}")
                    .Append("</dd>")
            .Append("<dt>Issuer</dt><dd>").Append(E(jwt.Issuer))
            .Append(jwt.Issuer == options.Value.IssuerTrimmed ? " (this service)" : " (not this service)")
            .Append("</dd><dt>Expiry</dt><dd>")
            .Append(jwt.ValidTo == DateTime.MinValue
                ? "no exp claim"
                : (jwt.ValidTo <= now ? "expired " : "valid until ") + Time(jwt.ValidTo))
            .Append("</dd><dt>Revoked</dt><dd>").Append(revoked ? "yes: refused by this service and resource servers" : "no")
            .Append("</dd></dl>")
            .Append("<h2>Header</h2><pre><code>").Append(E(Pretty(jwt.EncodedHeader))).Append("</code></pre>")
            .Append("<h2>Claims</h2><pre><code>").Append(E(Pretty(jwt.EncodedPayload))).Append("</code></pre></div>");
        return Render(op, token, null, facts.ToString());
    }

    private static string Pretty(string encoded)
    {
        using var document = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(encoded));
        return JsonSerializer.Serialize(document.RootElement, Indented);
    }

    /// <summary>Relaxed escaping (at+jwt, not at\u002Bjwt): the text is HTML-encoded when written, never put in script.</summary>
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping
    };

    private static ConsolePage Render(ConsoleOperator op, string token, string? error, string? result,
        int status = StatusCodes.Status200OK) =>
        Page(op, Section, "Token inspector", ErrorSummary("token", error) +
            $"<form method=\"post\" action=\"/console/inspector\" class=\"card\">{op.AntiforgeryField}" +
            TextArea("token", "JWT", token, error, "Decoded and checked on the server; nothing is logged or kept.") +
            "<button type=\"submit\">Inspect</button></form>" + (result ?? ""), status);
}
