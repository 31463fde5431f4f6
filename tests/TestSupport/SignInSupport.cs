using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using TokenService.Applications;
using TokenService.Users;

namespace TestSupport;

/// <summary>Users, OAuth clients and PKCE pairs for sign-in tests, made through the same code the CLI uses.</summary>
public static class SignInSupport
{
    public static async Task<Guid> CreateUserAsync(
        this TokenServiceHost host, string username, string password, string email = "", string name = "", bool emailVerified = false)
    {
        var (created, error) = await host.Services.GetRequiredService<UserAccounts>()
            .CreateAsync(username, password, email, name, emailVerified, default);
        return error is null ? created!.Id : throw new InvalidOperationException(error.Message);
    }

    /// <summary>An authorization-code client; returns its client id and (confidential only) secret.</summary>
    public static async Task<(string ClientId, string? Secret)> CreateClientAsync(
        this TokenServiceHost host, string clientType, string[] redirectUris, params string[] scopes)
    {
        var (created, error) = await host.Services.GetRequiredService<Applications>().CreateAsync(
            "client-" + Guid.NewGuid().ToString("N")[..10], "test", scopes, new ClientSettings(clientType, redirectUris, null), default);
        return error is null ? (created!.ClientId, created.Secret) : throw new InvalidOperationException(error.Message);
    }

    /// <summary>RFC 7636 s.4.1/4.2: a random verifier and its S256 challenge, computed independently of the service.</summary>
    public static (string Verifier, string Challenge) NewPkce()
    {
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(48));
        return (verifier, Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
