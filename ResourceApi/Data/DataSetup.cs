using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using Shared.Audit;
using Shared.Database;
using Shared.Protocol;

namespace ResourceApi.Data;

internal static class DataSetup
{
    public static IServiceCollection AddResourceData(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<ResourceApiOptions>>().Value;
            var builder = new NpgsqlConnectionStringBuilder(Postgres.ConnectionStringFrom(k => configuration[k]));
            if (!Postgres.IsBehindPooler(k => configuration[k]))
            {
                // Every statement of this process is bounded: a query that would scan for minutes is cancelled by the server.
                // Behind pgbouncer the startup option is refused ("unsupported startup parameter: options"), and a session SET
                // would land on whichever server connection; there the data queries set it per transaction (DataSession) and
                // the catalog's small statements keep Npgsql's Command Timeout (30 s unless the connection string says).
                var timeout = "-c statement_timeout=" + options.StatementTimeoutMilliseconds.ToString(CultureInfo.InvariantCulture);
                builder.Options = string.IsNullOrEmpty(builder.Options) ? timeout : builder.Options + " " + timeout;
            }

            return Postgres.CreateDataSource(builder.ConnectionString, "ResourceApi");
        });
        services.AddSingleton(sp => new DataSessionSource(sp.GetRequiredService<NpgsqlDataSource>(),
            sp.GetRequiredService<IOptions<ResourceApiOptions>>().Value.StatementTimeoutMilliseconds));
        services.AddSingleton<CatalogCache>();
        services.AddSingleton<DataSourceStore>();
        services.AddSingleton<DataPoolStore>();
        services.AddSingleton<MetricStore>();
        services.AddSingleton<DataQueries>();
        services.AddSingleton<MetricQueries>();
        services.AddSingleton<Catalog>();
        services.AddHttpContextAccessor();
        services.AddSingleton(sp => new AccessPolicyStore(sp.GetRequiredService<NpgsqlDataSource>(), sp.GetRequiredService<CatalogCache>(),
            GraphQlCaller(sp.GetRequiredService<IHttpContextAccessor>())));
        services.AddSingleton<AccessPolicies>();
        services.AddSingleton<AccessGuard>();
        return services;
    }

    /// <summary>Who changes Access Policies through GraphQL: the application (client id) of the admin token, from its address.</summary>
    private static Func<AuditActor> GraphQlCaller(IHttpContextAccessor http) => () =>
    {
        var context = http.HttpContext;
        var clientId = context?.User.FindFirst(ClaimNames.ClientId)?.Value;
        return new AuditActor(clientId is null ? AuditActor.System : AuditActor.Client, clientId ?? "anonymous",
            context?.Connection.RemoteIpAddress?.ToString() ?? "");
    };
}
