using System.Security.Cryptography;
using System.Text;

namespace Shared.Protocol;

/// <summary>
/// The revocation feed the TokenService publishes and every ResourceApi polls (GET <see cref="Path"/>?since=cursor):
/// revoked access tokens by jti, revoked grants by grant_id, and revoked clients with a "not before" time, each kept until the tokens it
/// covers have expired. Like the JWKS it is public: identifiers appear only as <see cref="Hash"/>, so it names no client
/// and no token; a resource server hashes the jti and client_id of a token it checks.
/// </summary>
public static class RevocationFeed
{
    public const string Path = "/oauth2/revocations";

    /// <summary>Query parameter: the cursor of the last entry the caller has (0 or absent: everything).</summary>
    public const string Since = "since";

    // JSON member names of the response (snake_case, like the rest of the OAuth wire format).
    public const string Cursor = "cursor";
    public const string Entries = "entries";
    public const string HasMore = "has_more";
    /// <summary>The kids in the JWKS right now: a resource server that sees a new one refreshes its key cache early.</summary>
    public const string Keys = "keys";
    public const string Type = "type";
    public const string Id = "id";
    public const string NotBefore = "not_before";
    public const string EffectiveAt = "effective_at";
    public const string ExpiresAt = "expires_at";

    /// <summary>Entry type: one access token, by jti.</summary>
    public const string TypeJti = "jti";

    /// <summary>Entry type: every token of one client issued before not_before, from effective_at on.</summary>
    public const string TypeClient = "client";

    /// <summary>Entry type: every access token carrying this grant_id (a grant that died whole), whenever issued.</summary>
    public const string TypeGrant = "grant";

    /// <summary>base64url(SHA-256(UTF-8 value)): how jtis and client ids appear in the feed.</summary>
    public static string Hash(string value)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(value), hash);
        return System.Buffers.Text.Base64Url.EncodeToString(hash);
    }
}
