using TokenService.Applications;
using TokenService.Introspection;
using TokenService.Issuance;
using TokenService.Users;

namespace TokenService.Revocation;

/// <summary>Issue 5 in two lines of Program.cs: the management API (applications, users), revocation, introspection and the revocation feed.</summary>
public static class CredentialLifecycle
{
    public static IServiceCollection AddCredentialLifecycle(this IServiceCollection services)
    {
        services.AddSingleton<Audiences>();
        services.AddSingleton<AccessTokenReader>();
        services.AddSingleton<RefreshTokenRevocationStore>();
        services.AddManagementAuthentication();
        return services;
    }

    public static IEndpointRouteBuilder MapCredentialLifecycle(this IEndpointRouteBuilder app)
    {
        app.MapApplications();
        app.MapUsers();
        app.MapRevocation();
        app.MapIntrospection();
        app.MapRevocationFeed();
        return app;
    }
}
