namespace Shared.Hosting;

/// <summary>
/// The one rule for an <c>Issuer</c> setting, in both services: OIDC Discovery s.3 and RFC 8414 s.2 make the issuer
/// an http(s) URL without query or fragment (https outside loopback is the deployment's job, docs/operations.md).
/// </summary>
public static class IssuerUrl
{
    public static bool IsValid(string? issuer) =>
        Uri.TryCreate(issuer, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp) &&
        string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment);
}
