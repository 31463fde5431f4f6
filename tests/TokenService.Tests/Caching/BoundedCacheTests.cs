using Microsoft.Extensions.Time.Testing;
using Shared.Caching;

namespace TokenService.Tests.Caching;

/// <summary>The one cache type of both services: entries expire on time, and what it holds never passes its cap.</summary>
public sealed class BoundedCacheTests
{
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));

    [Test]
    public void An_entry_is_served_until_it_expires_and_counted_as_a_hit_or_miss()
    {
        var cache = new BoundedCache<string, int>(10, time);
        cache.Set("a", 1, TimeSpan.FromSeconds(10));
        Assert.That(cache.TryGet("a", out var value) && value == 1, Is.True);
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Multiple(() =>
        {
            Assert.That(cache.TryGet("a", out _), Is.False, "expired at its own time");
            Assert.That((cache.Hits, cache.Misses), Is.EqualTo((1L, 1L)));
        });
    }

    [Test]
    public void A_flood_of_new_keys_never_holds_more_than_the_capacity_and_keeps_most_entries()
    {
        var cache = new BoundedCache<int, int>(100, time);
        for (var i = 0; i < 10_000; i++)
        {
            cache.Set(i, i, TimeSpan.FromMinutes(1));
            Assert.That(cache.Count, Is.LessThanOrEqualTo(100));
        }

        Assert.That(cache.Count, Is.GreaterThanOrEqualTo(85), "a tenth or so is made room for, never a full flush");
    }

    [Test]
    public void Expired_entries_make_room_first()
    {
        var cache = new BoundedCache<int, int>(10, time);
        for (var i = 0; i < 5; i++)
        {
            cache.Set(i, i, TimeSpan.FromSeconds(1));
        }

        for (var i = 5; i < 10; i++)
        {
            cache.Set(i, i, TimeSpan.FromMinutes(1));
        }

        time.Advance(TimeSpan.FromSeconds(2));
        cache.Set(10, 10, TimeSpan.FromMinutes(1));
        Assert.That(Enumerable.Range(5, 6).All(i => cache.TryGet(i, out _)), Is.True, "only the expired five went");
    }

    [Test]
    public void A_weighed_cache_caps_the_total_weight_and_refuses_a_value_heavier_than_all_of_it()
    {
        var cache = new BoundedCache<string, string>(1_000, time, (_, text) => text.Length);
        for (var i = 0; i < 500; i++)
        {
            cache.Set($"q{i}", new string('x', 90));
            Assert.That(cache.Weight, Is.LessThanOrEqualTo(1_000));
        }

        cache.Set("huge", new string('x', 1_001));
        Assert.Multiple(() =>
        {
            Assert.That(cache.TryGet("huge", out _), Is.False);
            Assert.That(cache.Weight, Is.EqualTo(cache.Count * 90L), "the weight follows exactly what is held");
            Assert.That(cache.Count, Is.InRange(9, 11));
        });
    }

    [Test]
    public void Replacing_removing_and_clearing_keep_the_weight_exact_under_concurrent_sets()
    {
        var cache = new BoundedCache<int, string>(1_000_000, time, (_, text) => text.Length);
        Parallel.For(0, 20_000, i => cache.Set(i % 500, new string('x', 1 + (i % 7))));
        var expected = Enumerable.Range(0, 500).Sum(k => cache.TryGet(k, out var v) ? v.Length : 0);
        Assert.That(cache.Weight, Is.EqualTo(expected));
        cache.Remove(3);
        cache.Clear();
        Assert.That((cache.Count, cache.Weight), Is.EqualTo((0, 0L)));
    }
}
