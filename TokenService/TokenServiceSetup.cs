using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Shared.Database;
using TokenService.Applications;
using TokenService.Audit;
using TokenService.Crypto;
using TokenService.Keys;

namespace TokenService;

/// <summary>The services the web host and the ops command line share.</summary>
public static class TokenServiceSetup
{
    public static IServiceCollection AddTokenServiceCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<TokenServiceOptions>()
            .Configure(o => TokenServiceOptions.Bind(o, configuration))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<TokenServiceOptions>, TokenServiceOptionsValidator>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(_ => Postgres.CreateDataSource(Postgres.ConnectionStringFrom(k => configuration[k]), "TokenService"));
        // The listener holds one connection; a migration another. Two is enough and keeps them off pgbouncer's budget.
        services.AddKeyedSingleton(Postgres.Direct, (_, _) => Postgres.CreateDataSource(
            DirectWithSmallPool(Postgres.DirectConnectionStringFrom(k => configuration[k])), "TokenService"));
        services.AddSingleton(sp => KeyEncryptionFrom(sp.GetRequiredService<IOptions<TokenServiceOptions>>().Value, sp.GetRequiredService<IHostEnvironment>()));
        services.AddSingleton<Argon2idHasher>();
        services.AddSingleton<ApplicationStore>();
        services.AddSingleton<Caching.ApplicationCache>();
        services.AddSingleton<Caching.VerifiedSecretCache>();
        // The CLI validates an application's audiences too, so they are core, not issuance.
        services.AddSingleton<Issuance.Audiences>();
        services.AddSingleton<Applications.Applications>();
        services.AddSingleton<Users.UserStore>();
        services.AddSingleton<Users.UserAccounts>();
        services.AddSingleton<Users.UserAccessStore>();
        services.AddSingleton<SigningKeyStore>();
        services.AddSingleton<ApplicationLifecycleStore>();
        services.AddSingleton<Revocation.RevocationStore>();
        services.AddSingleton<Revocation.RevocationList>();
        services.AddAudit(configuration);
        return services;
    }

    private static string DirectWithSmallPool(string connectionString) =>
        Postgres.SetsPoolSize(connectionString) ? connectionString
            : new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = 2 }.ConnectionString;

    public static MigrationSet TokenMigrations() =>
        MigrationSet.FromEmbeddedResources("tokens", "schema_migrations", typeof(TokenServiceSetup).Assembly, "migrations/");

    /// <summary>
    /// The KEK from KEY_ENCRYPTION_KEY. Only in Development may it be missing; then a fixed development key is used,
    /// so local restarts keep their keys. The host resolves this at start (through the key ring), so a missing KEK
    /// stops the service at once; CLI commands that never touch keys don't need it.
    /// </summary>
    private static KeyEncryption KeyEncryptionFrom(TokenServiceOptions options, IHostEnvironment environment)
    {
        if (KeyEncryption.TryParse(options.KeyEncryptionKey, out var kek))
        {
            return kek!;
        }

        if (!environment.IsDevelopment())
        {
            throw new OptionsValidationException(nameof(TokenServiceOptions.KeyEncryptionKey), typeof(TokenServiceOptions),
                ["KEY_ENCRYPTION_KEY must be set to base64 of 32 random bytes (e.g. `openssl rand -base64 32`)"]);
        }

        return new KeyEncryption(SHA256.HashData(Encoding.UTF8.GetBytes("tokenservice development key: never use in production")));
    }

}
