using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Ecosystem.Tests;

/// <summary>
/// A self-signed certificate for localhost made in the test, and HTTP handlers that trust exactly it: production
/// issuers are https, and MSAL refuses anything else, so the ecosystem tests run over TLS without touching the
/// machine's trust store.
/// </summary>
public sealed class TestCertificate : IDisposable
{
    public TestCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        // Kestrel on Linux needs the private key in a loadable form, not an ephemeral one: round-trip through PKCS#12.
        Certificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }

    public X509Certificate2 Certificate { get; }

    /// <summary>A handler that accepts this certificate and nothing else untrusted.</summary>
    public HttpClientHandler TrustingHandler() => new()
    {
        ServerCertificateCustomValidationCallback = (_, presented, _, errors) =>
            errors == System.Net.Security.SslPolicyErrors.None ||
            (presented is not null && presented.RawData.AsSpan().SequenceEqual(Certificate.RawData)),
    };

    public HttpClient TrustingClient(Uri? baseAddress = null) => new(TrustingHandler()) { BaseAddress = baseAddress };

    public void Dispose() => Certificate.Dispose();
}
