using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Shared.Protocol;
using TokenService.Issuance;
using TokenService.Keys;

namespace TokenService.Tests.Token;

/// <summary>
/// Issue 17 point 6: access and ID tokens come from our own writer (JwtWriter), not JsonWebTokenHandler.CreateToken.
/// Each is compared claim by claim and header member by member with what the handler wrote for the same request (the
/// code this replaced, kept here as the reference), validated by JsonWebTokenHandler for every algorithm, and its
/// allocations are bounded.
/// </summary>
public sealed class JwtWriterTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);
    private static readonly TokenServiceOptions Settings = new();

    private static (KeyRing Ring, TokenSigner Signer) Ring(string algorithm)
    {
        AsymmetricAlgorithm key = algorithm == SigningAlgorithms.ES256 ? ECDsa.Create(ECCurve.NamedCurves.nistP256) : RSA.Create(2048);
        var signer = TokenSigner.Create("kid-" + algorithm, algorithm, key);
        var row = key is RSA rsa && rsa.ExportParameters(false) is var r
            ? new SigningKey
            {
                Kid = signer.Kid, Algorithm = algorithm, PublicModulus = Base64Url(r.Modulus!), PublicExponent = Base64Url(r.Exponent!),
                PrivateKeySealed = [],
            }
            : ((ECDsa)key).ExportParameters(false) is var e
                ? new SigningKey
                {
                    Kid = signer.Kid, Algorithm = algorithm, PublicX = Base64Url(e.Q.X!), PublicY = Base64Url(e.Q.Y!),
                    PrivateKeySealed = [],
                }
                : throw new InvalidOperationException();
        var ring = new KeyRing();
        ring.Replace(new KeyRingSnapshot(signer, [row], Now));
        return (ring, signer);
    }

    private static string Base64Url(byte[] bytes) => Base64UrlEncoder.Encode(bytes);

    private static AccessTokenIssuer Issuer(KeyRing ring) => new(ring, Options.Create(Settings), new FakeTimeProvider(Now));

    public static IEnumerable<TestCaseData> Requests()
    {
        yield return new TestCaseData(new AccessTokenRequest("svc", "svc", ["metric:query"], null)).SetName("client credentials");
        yield return new TestCaseData(new AccessTokenRequest("svc", "svc", ["metric:query", "data_pool:query"], "acme")
        {
            PolicyValues = new Dictionary<string, string> { ["product"] = "widget", ["tenant"] = "overridden" },
            LifetimeSeconds = 600,
        }).SetName("tenant and policy values");
        yield return new TestCaseData(new AccessTokenRequest("user-1", "web", ["openid", "metric:read"], "t1")
        {
            GrantId = Guid.Parse("6f9619ff-8b86-d011-b42d-00c04fc964ff"),
            Audiences = ["resource-api", "http://localhost:5000"],
            NotAfter = Now.AddSeconds(90).UtcDateTime,
        }).SetName("user grant with two audiences and a NotAfter");
        yield return new TestCaseData(new AccessTokenRequest("svc", "svc", ["metric:query"], null)
        {
            DPoPJkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I",
            Audiences = ["http://localhost:5000"],
        }).SetName("DPoP-bound, one named audience");
        using var carried = JsonDocument.Parse("""{"sub":"first-caller","act":{"sub":"origin"}}""");
        using var values = JsonDocument.Parse("""{"tenant":"acme","region":"eu"}""");
        yield return new TestCaseData(new AccessTokenRequest("user-1", "exchanger", ["metric:query"], "acme")
        {
            CarriedClaims = new Dictionary<string, object>
            {
                [ClaimNames.Actor] = new Dictionary<string, object>
                {
                    ["sub"] = "exchanger", [ClaimNames.Actor] = carried.RootElement.Clone(),
                },
                [ClaimNames.PolicyValues] = values.RootElement.Clone(),
                [DPoP.Confirmation] = JsonDocument.Parse("""{"jkt":"from-the-subject-token"}""").RootElement.Clone(),
            },
            DPoPJkt = "bound-to-this-request",
        }).SetName("token exchange with carried act, policy values and a subject cnf");
    }

    [TestCaseSource(nameof(Requests))]
    public async Task Access_tokens_carry_exactly_what_JsonWebTokenHandler_wrote(AccessTokenRequest request)
    {
        var (ring, signer) = Ring(SigningAlgorithms.RS256);
        var issued = Issuer(ring).Issue(request);
        var reference = ReferenceAccessToken(request, signer, issued.Jti);

        Assert.Multiple(async () =>
        {
            Assert.That(JsonNode.DeepEquals(Part(issued.Jwt, 0), Part(reference, 0)), Is.True,
                $"header {Part(issued.Jwt, 0)} vs {Part(reference, 0)}");
            Assert.That(JsonNode.DeepEquals(Part(issued.Jwt, 1), OneAudienceAsString(Part(reference, 1))), Is.True,
                $"claims {Part(issued.Jwt, 1)} vs {Part(reference, 1)}");
            var result = await ValidateAsync(issued.Jwt, ring, ClaimNames.AccessTokenType, request.Audiences ?? [Settings.Audience]);
            Assert.That(result.IsValid, Is.True, result.Exception?.Message);
        });
    }

    [TestCase("RS256")]
    [TestCase("PS256")]
    [TestCase("ES256")]
    public async Task Every_algorithm_writes_tokens_JsonWebTokenHandler_validates(string algorithm)
    {
        var (ring, signer) = Ring(algorithm);
        var access = Issuer(ring).Issue(new AccessTokenRequest("svc", "svc", ["metric:query"], "acme")).Jwt;
        var idRequest = new IdTokenRequest(Guid.NewGuid(), "web", Now.AddMinutes(-1), "n-0S6_WzA2Mj", access);
        var id = new IdTokenIssuer(ring, Options.Create(Settings), new FakeTimeProvider(Now)).Issue(idRequest);
        var accessResult = await ValidateAsync(access, ring, ClaimNames.AccessTokenType, [Settings.Audience]);
        var idResult = await ValidateAsync(id, ring, TokenTypes.IdTokenType, ["web"]);
        Assert.Multiple(() =>
        {
            Assert.That(accessResult.IsValid, Is.True, accessResult.Exception?.Message);
            Assert.That(idResult.IsValid, Is.True, idResult.Exception?.Message);
            Assert.That(new JsonWebToken(access).Alg, Is.EqualTo(algorithm));
            Assert.That(Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(access.Split('.')[0])),
                Is.EqualTo($"{{\"alg\":\"{algorithm}\",\"kid\":\"kid-{algorithm}\",\"typ\":\"at+jwt\"}}"),
                "the header as written, '+' not escaped");
            Assert.That(JsonNode.DeepEquals(Part(id, 0), Part(ReferenceIdToken(idRequest, signer), 0)), Is.True, "ID token header");
            Assert.That(JsonNode.DeepEquals(Part(id, 1), Part(ReferenceIdToken(idRequest, signer), 1)), Is.True,
                $"ID token claims {Part(id, 1)}");
        });
    }

    [Test]
    public async Task A_token_with_one_changed_byte_is_refused()
    {
        var (ring, _) = Ring(SigningAlgorithms.ES256);
        var token = Issuer(ring).Issue(new AccessTokenRequest("svc", "svc", ["metric:query"], null)).Jwt;
        var claims = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(token.Split('.')[1])).Replace("metric:query", "metric:queri");
        var parts = token.Split('.');
        var altered = $"{parts[0]}.{Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(claims))}.{parts[2]}";
        Assert.That((await ValidateAsync(altered, ring, ClaimNames.AccessTokenType, [Settings.Audience])).IsValid, Is.False);
    }

    [TestCase("RS256")]
    [TestCase("ES256")]
    public void A_warm_access_token_allocates_at_most_4_KB(string algorithm)
    {
        var (ring, signer) = Ring(algorithm);
        var issuer = Issuer(ring);
        AccessTokenRequest Request() =>
            new("svc-client-id-0123456789", "svc-client-id-0123456789", ["metric:query", "data_pool:query"], "acme");
        for (var i = 0; i < 200; i++)
        {
            issuer.Issue(Request());
            ReferenceAccessToken(Request(), signer, "jti");
        }

        const int count = 2000;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < count; i++)
        {
            issuer.Issue(Request());
        }

        var ours = (GC.GetAllocatedBytesForCurrentThread() - before) / count;
        before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < count; i++)
        {
            ReferenceAccessToken(Request(), signer, "jti");
        }

        var handler = (GC.GetAllocatedBytesForCurrentThread() - before) / count;
        TestContext.Out.WriteLine($"{algorithm}: {ours} bytes per token (JsonWebTokenHandler: {handler})");
        Assert.That(ours, Is.LessThanOrEqualTo(4096), $"JsonWebTokenHandler allocates {handler}");
    }

    private static async Task<TokenValidationResult> ValidateAsync(string token, KeyRing ring, string type, IEnumerable<string> audiences)
    {
        var jwks = new JsonWebKeySet(Encoding.UTF8.GetString(ring.Current!.JwksJson));
        return await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = Settings.IssuerTrimmed,
            ValidAudiences = audiences,
            IssuerSigningKeys = jwks.GetSigningKeys(),
            ValidAlgorithms = [ring.Current.Signer.Algorithm],
            ValidTypes = [type],
            LifetimeValidator = (notBefore, expires, _, _) =>
                expires > Now.UtcDateTime && (notBefore is null || notBefore <= Now.UtcDateTime),
        });
    }

    /// <summary>
    /// The one deliberate difference: the handler wrote a single audience as a one-element array (descriptor.Audiences),
    /// though the code meant a string (RFC 7519 s.4.1.3 allows both; every validator reads both). Ours writes the string.
    /// </summary>
    private static JsonNode OneAudienceAsString(JsonNode claims)
    {
        if (claims["aud"] is JsonArray { Count: 1 } one)
        {
            claims["aud"] = one[0]!.GetValue<string>();
        }

        return claims;
    }

    private static JsonNode Part(string jwt, int index) => JsonNode.Parse(Base64UrlEncoder.DecodeBytes(jwt.Split('.')[index]))!;

    /// <summary>What AccessTokenIssuer did before this change, with JsonWebTokenHandler (commit 0397e51).</summary>
    private static string ReferenceAccessToken(AccessTokenRequest request, TokenSigner signer, string jti)
    {
        var lifetime = Math.Min(request.LifetimeSeconds ?? Settings.AccessTokenLifetimeSeconds, Settings.LongestAccessTokenLifetimeSeconds);
        if (request.NotAfter is { } notAfter && notAfter < Now.AddSeconds(lifetime).UtcDateTime)
        {
            lifetime = Math.Max(1, (int)(notAfter - Now.UtcDateTime).TotalSeconds);
        }

        var claims = new Dictionary<string, object>
        {
            [ClaimNames.Subject] = request.Subject,
            [ClaimNames.ClientId] = request.ClientId,
            [ClaimNames.Scope] = string.Join(' ', request.Scopes),
            [ClaimNames.JwtId] = jti,
        };
        if (request.Tenant is not null)
        {
            claims[ClaimNames.Tenant] = request.Tenant;
        }

        var policyValues = new Dictionary<string, string>(request.PolicyValues ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        if (request.Tenant is not null)
        {
            policyValues[PolicyValues.TenantName] = request.Tenant;
        }

        if (policyValues.Count > 0)
        {
            using var document = JsonDocument.Parse(PolicyValues.ToJson(policyValues));
            claims[ClaimNames.PolicyValues] = document.RootElement.Clone();
        }

        foreach (var (name, value) in request.CarriedClaims ?? new Dictionary<string, object>())
        {
            claims[name] = value;
        }

        claims.Remove(DPoP.Confirmation);
        if (request.DPoPJkt is { } jkt)
        {
            claims[DPoP.Confirmation] = new Dictionary<string, object> { [DPoP.Thumbprint] = jkt };
        }

        if (request.GrantId is { } grantId)
        {
            claims[ClaimNames.GrantId] = grantId.ToString();
        }

        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = Settings.IssuerTrimmed,
            IssuedAt = Now.UtcDateTime,
            NotBefore = Now.UtcDateTime,
            Expires = Now.AddSeconds(lifetime).UtcDateTime,
            TokenType = ClaimNames.AccessTokenType,
            Claims = claims,
            SigningCredentials = signer.Credentials,
        };
        foreach (var audience in request.Audiences is { Count: > 0 } named ? named : [Settings.Audience])
        {
            descriptor.Audiences.Add(audience);
        }

        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    /// <summary>What IdTokenIssuer did before this change, with JsonWebTokenHandler.</summary>
    private static string ReferenceIdToken(IdTokenRequest request, TokenSigner signer)
    {
        var claims = new Dictionary<string, object>
        {
            [ClaimNames.Subject] = request.UserId.ToString(),
            [ClaimNames.AuthTime] = request.AuthTime.ToUnixTimeSeconds(),
            [ClaimNames.AtHash] = IdTokenIssuer.AtHash(request.AccessToken),
            [ClaimNames.AuthorizedParty] = request.ClientId,
        };
        if (request.Nonce is not null)
        {
            claims[ClaimNames.Nonce] = request.Nonce;
        }

        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Settings.IssuerTrimmed,
            Audience = request.ClientId,
            IssuedAt = Now.UtcDateTime,
            Expires = Now.AddSeconds(Settings.AccessTokenLifetimeSeconds).UtcDateTime,
            TokenType = TokenTypes.IdTokenType,
            Claims = claims,
            SigningCredentials = signer.Credentials,
        });
    }
}
