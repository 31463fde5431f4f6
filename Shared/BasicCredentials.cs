using System.Net.Http.Headers;
using System.Text;

namespace Shared;

/// <summary>
/// An HTTP Basic <c>Authorization</c> header decoded per RFC 6749 s.2.3.1: the client id and secret are
/// application/x-www-form-urlencoded before base64, so both are form-decoded after it.
/// Used by the token endpoint (client_secret_basic) and the ResourceApi (server-side callers).
/// </summary>
public readonly record struct BasicCredentials(string Id, string Secret)
{
    /// <summary>Longer headers are refused before decoding: no client id and secret pair needs more.</summary>
    public const int MaxHeaderLength = 2048;

    /// <summary>True when the header uses the Basic scheme at all (so a 401 can answer with a Basic challenge).</summary>
    public static bool IsBasic(string? authorization) =>
        authorization is not null && authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase);

    /// <summary>Malformed input is "no credentials", never an exception.</summary>
    public static bool TryParse(string? authorization, out BasicCredentials credentials)
    {
        credentials = default;
        if (!IsBasic(authorization) || authorization!.Length > MaxHeaderLength)
        {
            return false;
        }

        var encoded = authorization.AsSpan(6).Trim();
        Span<byte> buffer = stackalloc byte[MaxHeaderLength];
        if (!Convert.TryFromBase64Chars(encoded, buffer, out var written))
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer[..written]);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }

        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0)
        {
            return false;
        }

        if (!FormDecode(decoded[..colon], out var id) || !FormDecode(decoded[(colon + 1)..], out var secret) || id.Length == 0)
        {
            return false;
        }

        credentials = new BasicCredentials(id, secret);
        return true;
    }

    /// <summary>The header a client sends, encoded as RFC 6749 s.2.3.1 asks.</summary>
    public AuthenticationHeaderValue ToHeader() =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(
            $"{Uri.EscapeDataString(Id)}:{Uri.EscapeDataString(Secret)}")));

    private static bool FormDecode(string value, out string decoded)
    {
        decoded = value;
        if (value.IndexOfAny(['%', '+']) < 0)
        {
            return true;
        }

        // Broken percent-encoding is refused rather than passed through half-decoded.
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] == '%' && (i + 2 >= value.Length || !Uri.IsHexDigit(value[i + 1]) || !Uri.IsHexDigit(value[i + 2])))
            {
                return false;
            }
        }

        try
        {
            decoded = Uri.UnescapeDataString(value.Replace('+', ' '));
            return true;
        }
        catch (UriFormatException)
        {
            return false;
        }
    }
}
