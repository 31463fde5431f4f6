using TestSupport;
using System.Net;
using ResourceApi.Tests.Infrastructure;
using Shared.Protocol;

namespace ResourceApi.Tests;

/// <summary>Catalog reads are cached for a second: a change shows at once where it was made, within the TTL elsewhere.</summary>
public sealed class CatalogCacheTests
{
    [Test]
    public async Task A_new_metric_is_listed_at_once_here_and_within_the_ttl_on_another_instance()
    {
        await using var other = new ResourceApiHost(Fixture.ConnectionString, Fixture.Issuer);
        using var otherClient = other.CreateClient();
        var token = await Fixture.TokenAsync(Scopes.Admin);
        var name = "cached_" + Guid.NewGuid().ToString("N")[..10];
        var counter = $"{{ counter(metric: \"{name}\") {{ value }} }}";
        var before = await GraphQLCall.PostAsync(otherClient, counter, token); // the other instance now has a cached miss... or not
        var created = await Fixture.QueryAsync($"mutation {{ createMetric(input: {{uniqueName: \"{name}\", dataPool: \"orders\", type: " +
            $"COUNT}}) {{ id }} }}", token);
        var here = await Fixture.QueryAsync(counter, token);

        GraphQLCall? there = null;
        var deadline = DateTime.UtcNow.AddSeconds(3);
        while (DateTime.UtcNow < deadline)
        {
            there = await GraphQLCall.PostAsync(otherClient, counter, token);
            if (!there.HasErrors)
            {
                break;
            }

            await Task.Delay(100);
        }

        var id = created.Data.GetProperty("createMetric").GetProperty("id").GetString();
        await Fixture.QueryAsync($"mutation {{ deleteMetric(id: \"{id}\") }}", token);
        var gone = await Fixture.QueryAsync(counter, token);
        Assert.Multiple(() =>
        {
            Assert.That(before.FirstErrorMessage, Is.EqualTo($"no Metric named '{name}'"));
            Assert.That(here.Status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(here.HasErrors, Is.False, "the instance that made the change sees it at once: " + here);
            Assert.That(there!.HasErrors, Is.False, "another instance within the TTL (1 s) and some slack: " + there);
            Assert.That(gone.FirstErrorMessage, Is.EqualTo($"no Metric named '{name}'"), "a delete here is seen here at once");
        });
    }
}
