using System.CommandLine;
using Microsoft.Extensions.Options;
using Shared.Protocol;
using TokenService.Keys;

namespace TokenService.Cli;

/// <summary><c>keys rotate|list</c>: signing key lifecycle.</summary>
public static class KeysCommand
{
    public static Command Create(CliContext context)
    {
        var lead = new Option<int>("--lead-seconds")
        {
            Description = "How long the new key is published before it signs, so verifiers' JWKS caches learn it first.",
            DefaultValueFactory = _ => 600,
        };
        var algorithm = new Option<string?>("--algorithm")
        {
            Description = $"What the new key signs with: {string.Join(", ", SigningAlgorithms.All)} " +
                "(default: the SigningAlgorithm setting).",
        };
        var rotate = new Command("rotate", "Add a signing key: published now, signing after the lead time.") { lead, algorithm };
        rotate.SetAction(async (parse, ct) =>
        {
            var seconds = parse.GetValue(lead);
            if (seconds < 0)
            {
                return await context.FailAsync(OpsCli.Usage, "--lead-seconds must not be negative");
            }

            var named = parse.GetValue(algorithm);
            if (named is not null && !SigningAlgorithms.IsKnown(named))
            {
                return await context.FailAsync(OpsCli.Usage, $"--algorithm must be one of {string.Join(", ", SigningAlgorithms.All)}");
            }

            var key = await context.Get<SigningKeyStore>().AddAsync(TimeSpan.FromSeconds(seconds), ct,
                context.Get<Audit.AuditTrail>().Entry(Audit.AuditActions.KeyRotate, "key", "",
                    new { leadSeconds = seconds, algorithm = named }),
                named);
            return await context.PrintJsonAsync(new { kid = key.Kid, algorithm = key.Algorithm, activatesAt = key.ActivatesAt });
        });

        var list = new Command("list", "List signing keys and their states as JSON.");
        list.SetAction(async (_, ct) =>
        {
            var options = context.Get<IOptions<TokenServiceOptions>>().Value;
            var lifecycle = new SigningKeyLifecycle(
                TimeSpan.FromSeconds(options.LongestAccessTokenLifetimeSeconds), TimeSpan.FromMinutes(5));
            var keys = await context.Get<SigningKeyStore>().ListAsync(ct);
            var now = context.Get<TimeProvider>().GetUtcNow();
            return await context.PrintJsonAsync(keys.Select(k => new
            {
                kid = k.Kid,
                algorithm = k.Algorithm,
                state = lifecycle.StateOf(k, keys, now).ToString().ToLowerInvariant(),
                createdAt = k.CreatedAt,
                activatesAt = k.ActivatesAt,
                retiredAt = k.RetiredAt,
            }));
        });

        return new Command("keys", "Manage signing keys.") { rotate, list };
    }
}
