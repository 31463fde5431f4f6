using System.Buffers;
using System.Text.Json;
using Shared.Http;
using TokenService.Issuance;

namespace TokenService.Token;

/// <summary>RFC 6749 s.5.1 successful response, written straight to the body (no reflection on the hot path).</summary>
public sealed record TokenResponse(string AccessToken, int ExpiresIn, string Scope) : IResult
{
    public string? RefreshToken { get; init; }

    public string? IdToken { get; init; }

    /// <summary>RFC 9449 s.5: <c>DPoP</c> when the access token is bound to the proof's key, else RFC 6750's <c>Bearer</c>.</summary>
    public string TokenType { get; init; } = Shared.Protocol.TokenTypes.Bearer;

    /// <summary>RFC 9449 s.8.2: the nonce for the client's next proof, sent as the DPoP-Nonce header.</summary>
    public string? DPoPNonce { get; init; }

    /// <summary>RFC 8693 s.2.2.1: required in a token exchange response.</summary>
    public string? IssuedTokenType { get; init; }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        NoStore.Apply(response);
        if (DPoPNonce is not null)
        {
            response.Headers[Shared.Protocol.DPoP.NonceHeader] = DPoPNonce;
        }

        response.ContentType = "application/json";
        // Written whole, with its Content-Length: one write to the connection and no chunked framing.
        var body = PerThreadJson.Write(this, static (json, answer) => answer.WriteTo(json));
        response.ContentLength = body.Length;
        response.BodyWriter.Write(body);
        await response.BodyWriter.FlushAsync();
    }

    private void WriteTo(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteString("access_token", AccessToken);
        if (IssuedTokenType is not null)
        {
            json.WriteString("issued_token_type", IssuedTokenType);
        }

        json.WriteString("token_type", TokenType);
        json.WriteNumber("expires_in", ExpiresIn);
        json.WriteString("scope", Scope);
        if (RefreshToken is not null)
        {
            json.WriteString("refresh_token", RefreshToken);
        }

        if (IdToken is not null)
        {
            json.WriteString("id_token", IdToken);
        }

        json.WriteEndObject();
    }
}
