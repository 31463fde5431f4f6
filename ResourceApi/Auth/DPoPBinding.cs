using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Shared.Protocol;

namespace ResourceApi.Auth;

/// <summary>
/// RFC 9449 s.7 at the ResourceApi. <c>Authorization: DPoP &lt;token&gt;</c> is read like a Bearer header (JwtBearer
/// validates the token as always); then a token bound to a key (cnf.jkt) is accepted only under the DPoP scheme,
/// with one valid proof for this request, made by that key, carrying ath of this token. A bound token presented as
/// Bearer is refused (s.7.2: otherwise DPoP would protect nothing); so is an unbound one presented as DPoP. Basic
/// callers stay Bearer: their token comes from our own exchange, never bound.
/// </summary>
internal static class DPoPBinding
{
    private const string PresentedKey = "dpop.presented";
    private const string FailureKey = "dpop.failure";

    /// <summary>What the challenge says when the DPoP checks refused: error code and a fixed description of ours.</summary>
    public sealed record Failure(string Error, string Description);

    /// <summary>JwtBearer's OnMessageReceived: the token of a DPoP-scheme header (RFC 9449 s.7.1); Bearer is left to JwtBearer.</summary>
    public static Task ReadDPoPSchemeAsync(MessageReceivedContext context)
    {
        var authorization = context.Request.Headers.Authorization;
        var value = authorization.Count == 1 ? authorization[0] : null;
        if (value is not null && value.StartsWith(DPoP.Scheme + " ", StringComparison.OrdinalIgnoreCase))
        {
            context.HttpContext.Items[PresentedKey] = true;
            var token = value[(DPoP.Scheme.Length + 1)..].Trim(' ');
            if (token.Length == 0)
            {
                context.Fail("empty DPoP token");
            }
            else
            {
                context.Token = token;
            }
        }

        return Task.CompletedTask;
    }

    public static bool WasPresented(HttpContext context) => context.Items.ContainsKey(PresentedKey);

    public static Failure? FailureOf(HttpContext context) => context.Items.TryGetValue(FailureKey, out var f) ? f as Failure : null;

    /// <summary>After the token itself was found valid (and not revoked): the binding and the proof.</summary>
    public static async Task CheckAsync(TokenValidatedContext context)
    {
        if (context.SecurityToken is not JsonWebToken jwt)
        {
            return;
        }

        var http = context.HttpContext;
        var jkt = Thumbprint(jwt);
        var presented = WasPresented(http);
        if (jkt is null)
        {
            if (presented)
            {
                Fail(context, OAuthErrors.InvalidToken, "the access token is not DPoP-bound: present it as Bearer");
            }

            return;
        }

        if (!presented)
        {
            Fail(context, OAuthErrors.InvalidToken, "the access token is DPoP-bound: present it as Authorization: DPoP with a DPoP proof");
            return;
        }

        var request = http.Request;
        var url = $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}";
        var verifier = http.RequestServices.GetRequiredService<DPoPProofVerifier>();
        var (proof, problem) = await verifier.VerifyAsync(request.Headers[DPoP.Header], request.Method, url, jwt.EncodedToken);
        if (proof is null)
        {
            Fail(context, DPoP.InvalidProof, problem!);
            return;
        }

        // s.4.3 item 12: the proof's key is the key the token is bound to.
        if (proof.Jkt != jkt)
        {
            Fail(context, DPoP.InvalidProof, "the DPoP proof is not made by the key the access token is bound to");
            return;
        }

        var replays = http.RequestServices.GetRequiredService<DPoPReplays>();
        if (!replays.TryUse(proof.Jkt, proof.Jti, new DateTimeOffset(proof.IssuedAt, TimeSpan.Zero) + DPoPProofVerifier.IssuedAtWindow))
        {
            Fail(context, DPoP.InvalidProof, "the DPoP proof was used before (jti)");
        }
    }

    private static string? Thumbprint(JsonWebToken jwt) =>
        jwt.TryGetPayloadValue<System.Text.Json.JsonElement>(DPoP.Confirmation, out var cnf) &&
        cnf.ValueKind == System.Text.Json.JsonValueKind.Object && cnf.TryGetProperty(DPoP.Thumbprint, out var jkt) &&
        jkt.ValueKind == System.Text.Json.JsonValueKind.String
            ? jkt.GetString()
            : null;

    private static void Fail(TokenValidatedContext context, string error, string description)
    {
        context.HttpContext.Items[FailureKey] = new Failure(error, description);
        context.Fail(description);
    }
}
