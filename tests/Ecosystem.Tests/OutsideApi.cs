using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ecosystem.Tests;

/// <summary>
/// Somebody else's ASP.NET Core API, configured the way the JwtBearer documentation says and nothing more:
/// <c>Authority</c> (discovery + JWKS) and <c>Audience</c>. Its GET /me answers the caller's client_id; a test may map
/// more. The only test-specific line: trust in the test certificate (a real deployment trusts a real CA).
/// </summary>
internal static class OutsideApi
{
    public static async Task<WebApplication> StartAsync(string authority, Action<WebApplication>? map = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(o =>
        {
            o.Authority = authority;
            o.Audience = "resource-api";
            o.BackchannelHttpHandler = Ecosystem.Certificate.TrustingHandler();
        });
        builder.Services.AddAuthorization();
        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapGet("/me", (ClaimsPrincipal user) => user.FindFirst("client_id")?.Value).RequireAuthorization();
        map?.Invoke(app);
        await app.StartAsync();
        return app;
    }
}
