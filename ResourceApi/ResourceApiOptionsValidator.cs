using Microsoft.Extensions.Options;
using Shared.Hosting;

namespace ResourceApi;

/// <summary>Checked on start (ValidateOnStart): a bad setting stops the API with one line naming it.</summary>
public sealed class ResourceApiOptionsValidator : IValidateOptions<ResourceApiOptions>
{
    public ValidateOptionsResult Validate(string? name, ResourceApiOptions o)
    {
        var failures = new List<string>();
        if (!IssuerUrl.IsValid(o.Issuer))
        {
            failures.Add("Issuer must be the TokenService's absolute http(s) URL without query or fragment");
        }

        if (string.IsNullOrWhiteSpace(o.Audience))
        {
            failures.Add("Audience must be set (the aud every accepted token carries)");
        }

        Range(failures, nameof(o.ClockSkewSeconds), o.ClockSkewSeconds, 0, 300);
        Range(failures, nameof(o.JwksRefreshSeconds), o.JwksRefreshSeconds, 1, 3600);
        Range(failures, nameof(o.JwksAutomaticRefreshMinutes), o.JwksAutomaticRefreshMinutes, 5, 24 * 60);
        Range(failures, nameof(o.MaxPageSize), o.MaxPageSize, 1, 10_000);
        Range(failures, nameof(o.MaxDepth), o.MaxDepth, 1, 100);
        Range(failures, nameof(o.MaxComplexity), o.MaxComplexity, 1, 1_000_000);
        Range(failures, nameof(o.StatementTimeoutMilliseconds), o.StatementTimeoutMilliseconds, 1, 600_000);
        Range(failures, nameof(o.MaxRequestBodyBytes), o.MaxRequestBodyBytes, 1024, 16 * 1024 * 1024);
        Range(failures, nameof(o.BasicTokenCacheCapacity), o.BasicTokenCacheCapacity, 1, 10_000_000);
        Range(failures, nameof(o.RevocationPollMilliseconds), o.RevocationPollMilliseconds, 100, 60_000);
        Range(failures, nameof(o.BasicRefusalDelayMilliseconds), o.BasicRefusalDelayMilliseconds, 0, 10_000);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void Range(List<string> failures, string setting, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            failures.Add($"{setting} must be between {min} and {max}");
        }
    }
}
