using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace Security.Tests.Infrastructure;

/// <summary>
/// The in-memory TestServer has no client address, so per-address limits would never apply. This startup filter
/// gives every request one (the <see cref="Header"/> value when a test sends it, else <see cref="Default"/>),
/// as Kestrel does for a real connection.
/// </summary>
public sealed class TestAddress : IStartupFilter
{
    public const string Header = "X-Test-Client-Address";

    public static readonly IPAddress Default = IPAddress.Parse("198.51.100.7");

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            context.Connection.RemoteIpAddress ??= IPAddress.TryParse(context.Request.Headers[Header].ToString(), out var address) ? address : Default;
            return nextMiddleware(context);
        });
        next(app);
    };
}
