using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Shared.Protocol;

namespace ResourceApi.Auth;

/// <summary>
/// Bearer tokens are RFC 9068 JWTs from the TokenService, validated against the keys its discovery document points
/// to. JwtBearer already keeps the JWKS cache: we only set how it behaves.
/// </summary>
internal static partial class JwtBearerSetup
{
    public static IServiceCollection AddResourceAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer();
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<IOptions<ResourceApiOptions>, IHostEnvironment>((o, settings, environment) => Configure(o, settings.Value, environment));
        services.AddAuthorization();
        // A bounded number of connections to the token endpoint: a burst of new Basic callers queues here instead of
        // opening a socket each (and overflowing the TokenService's accept backlog).
        services.AddHttpClient(BasicExchange.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(10))
            // Configures the primary handler in effect rather than replacing it, so a handler set for every client
            // (a proxy, a trusted certificate) still applies.
            .ConfigurePrimaryHttpMessageHandler((handler, _) =>
            {
                switch (handler)
                {
                    case SocketsHttpHandler sockets:
                        sockets.MaxConnectionsPerServer = 64;
                        break;
                    case HttpClientHandler client:
                        client.MaxConnectionsPerServer = 64;
                        break;
                }
            });
        services.AddSingleton<BasicExchange>();
        services.AddSingleton<DPoPProofVerifier>();
        services.AddSingleton<DPoPReplays>();
        services.AddRevocationPolling();
        return services;
    }

    private static void Configure(JwtBearerOptions o, ResourceApiOptions settings, IHostEnvironment environment)
    {
        o.Authority = settings.IssuerTrimmed;
        o.MetadataAddress = settings.MetadataAddress;
        // Plain HTTP only when the metadata never leaves the machine, or for a developer's own setup.
        o.RequireHttpsMetadata = !(settings.IssuerIsLoopback || environment.IsDevelopment());
        // Claims keep their JWT names (scope, tenant, client_id): per scheme, never by editing the global maps.
        o.MapInboundClaims = false;
        // The challenge is ours (Challenges): error codes only, never the validator's exception text.
        o.IncludeErrorDetails = false;
        // An unknown kid re-reads the JWKS (key rotation needs no restart), at most once per RefreshInterval.
        o.RefreshOnIssuerKeyNotFound = true;
        o.RefreshInterval = TimeSpan.FromSeconds(Math.Max(1, settings.JwksRefreshSeconds));
        o.AutomaticRefreshInterval = TimeSpan.FromMinutes(Math.Max(5, settings.JwksAutomaticRefreshMinutes));
        o.TokenValidationParameters = new TokenValidationParameters
        {
            ValidIssuer = settings.IssuerTrimmed,
            ValidAudience = settings.Audience,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            ValidateIssuerSigningKey = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = TimeSpan.FromSeconds(settings.ClockSkewSeconds),
            // RFC 9068 s.4: an access token must say it is one; an id_token (typ JWT) is refused.
            ValidTypes = [ClaimNames.AccessTokenType],
            ValidAlgorithms = SigningAlgorithms.All,
            NameClaimType = ClaimNames.Subject,
        };
        o.Events = new JwtBearerEvents
        {
            // RFC 9449 s.7.1: Authorization: DPoP is read here; Bearer as JwtBearer always does.
            OnMessageReceived = DPoPBinding.ReadDPoPSchemeAsync,
            OnChallenge = Challenges.WriteBearerChallengeAsync,
            OnTokenValidated = async context =>
            {
                // Revoked tokens, deleted applications, rotated-out secrets: the TokenService's revocation feed.
                await RevokedTokens.RejectRevokedAsync(context);
                // Then a bound token's proof (and a Bearer-presented bound token refused).
                if (context.Result is null)
                {
                    await DPoPBinding.CheckAsync(context);
                }
            },
            OnAuthenticationFailed = context =>
            {
                // The exception type only: its message can quote claims, and the token itself is never logged.
                LogTokenRejected(context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(JwtBearerSetup)),
                    context.Exception.GetType().Name);
                return Task.CompletedTask;
            },
        };
    }

    [LoggerMessage(2001, LogLevel.Information, "Bearer token rejected: {Reason}")]
    private static partial void LogTokenRejected(ILogger logger, string reason);
}
