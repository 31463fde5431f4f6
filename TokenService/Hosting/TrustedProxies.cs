using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace TokenService.Hosting;

/// <summary>
/// Which peers may say who the real caller is (<c>ForwardedHeaders:KnownProxies</c>, <c>ForwardedHeaders:KnownNetworks</c>).
/// Failure limits and the login throttle count per client address; behind a reverse proxy, or behind the ResourceApi's
/// Basic exchange, every request would otherwise come from the proxy's address, and a stranger's failures would lock
/// out everyone behind it. Only a listed peer's <c>X-Forwarded-For</c> is believed, and only its last hop
/// (the address the trusted peer itself saw). Empty by default: nothing is trusted, the header is ignored.
/// </summary>
public sealed class TrustedProxyOptions
{
    /// <summary>Addresses of trusted proxies, e.g. <c>["10.0.0.5"]</c> or <c>"10.0.0.5,10.0.0.6"</c>.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks of trusted proxies in CIDR form, e.g. <c>["10.0.0.0/24"]</c>.</summary>
    public List<string> KnownNetworks { get; set; } = [];

    public bool TrustsAny => Proxies().Any() || Networks().Any();

    public IEnumerable<IPAddress> Proxies() =>
        Split(KnownProxies).Select(p => IPAddress.TryParse(p, out var address) ? address : null).OfType<IPAddress>();

    public IEnumerable<System.Net.IPNetwork> Networks() =>
        Split(KnownNetworks).Select(n => System.Net.IPNetwork.TryParse(n, out var network) ? (System.Net.IPNetwork?)network : null)
            .OfType<System.Net.IPNetwork>();

    /// <summary>Entries that are not an address or a CIDR network: each is one start-up error.</summary>
    public IEnumerable<string> Problems() =>
        Split(KnownProxies).Where(p => !IPAddress.TryParse(p, out _))
            .Select(p => $"ForwardedHeaders:KnownProxies: '{p}' is not an IP address")
            .Concat(Split(KnownNetworks).Where(n => !System.Net.IPNetwork.TryParse(n, out _))
                .Select(n => $"ForwardedHeaders:KnownNetworks: '{n}' is not a network in CIDR form (e.g. 10.0.0.0/24)"));

    private static IEnumerable<string> Split(IEnumerable<string> values) =>
        values.SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}

public static class TrustedProxies
{
    /// <summary>
    /// ASP.NET Core's forwarded-headers middleware with our list only: its defaults trust loopback, we trust nothing
    /// unless configured. The connection's address becomes the forwarded one for everything after this.
    /// </summary>
    public static IApplicationBuilder UseTrustedProxies(this IApplicationBuilder app, TrustedProxyOptions trusted)
    {
        if (!trusted.TrustsAny)
        {
            return app;
        }

        var options = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor, ForwardLimit = 1 };
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var proxy in trusted.Proxies())
        {
            options.KnownProxies.Add(proxy);
        }

        foreach (var network in trusted.Networks())
        {
            options.KnownIPNetworks.Add(network);
        }

        return app.UseForwardedHeaders(options);
    }
}
