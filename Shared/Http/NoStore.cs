using Microsoft.AspNetCore.Http;

namespace Shared.Http;

/// <summary>
/// The one way either service marks a response as never to be cached: tokens, credentials, errors about them,
/// personal data and pages holding a CSRF token. RFC 6749 s.5.1 names both headers (Pragma for HTTP/1.0 caches).
/// </summary>
public static class NoStore
{
    public static void Apply(HttpResponse response)
    {
        response.Headers.CacheControl = "no-store";
        response.Headers.Pragma = "no-cache";
    }
}
