namespace TokenService.Token;

/// <summary>
/// The token endpoint's own services: client authentication with its failure limiter, and the client credentials
/// grant (the sign-in grants come with <c>AddUserSignIn</c>).
/// </summary>
public static class TokenSetup
{
    public static IServiceCollection AddTokenEndpoint(this IServiceCollection services)
    {
        services.AddSingleton<ClientAuthentication>();
        services.AddSingleton<ClientAssertionVerifier>();
        services.AddSingleton<ClientAssertionReplayStore>();
        services.AddSingleton<RemoteJwks>();
        services.AddSingleton<Shared.Protocol.DPoPProofVerifier>();
        services.AddSingleton<DPoPNonces>();
        services.AddSingleton<DPoPProofCheck>();
        services.AddSingleton<FailedAuthenticationLimiter>();
        services.AddSingleton<ClientCredentialsGrant>();
        services.AddSingleton<TokenExchangeGrant>();
        return services;
    }
}
