using Beacon.Collector.Batch;
using Beacon.Router.Tests;

namespace Beacon.Collector.Tests.Batch;

/// <summary><see cref="BatchIdCache"/> on its own, on a clock the test moves: expiry at its edge, and trimming.</summary>
public sealed class BatchIdCacheTests
{
    private static readonly BatchAnswer Ok = new(200, "{}"u8.ToArray());

    [Fact]
    public async Task An_answered_id_is_remembered_until_just_before_its_ttl_and_forgotten_at_it()
    {
        var clock = new ManualTimeProvider();
        var cache = new BatchIdCache(new BatchOptions { BatchIdTtl = TimeSpan.FromMinutes(10) }, clock);

        // "older" stays unanswered: it heads the trim order, so only the reservation's own expiry check decides "id".
        Assert.True(cache.TryReserve("older", out _, out _));
        Assert.True(cache.TryReserve("id", out var entry, out _));
        cache.Complete("id", entry, Ok);

        clock.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromMilliseconds(1));
        Assert.False(cache.TryReserve("id", out _, out var earlier));
        Assert.Same(Ok, await earlier);

        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(cache.TryReserve("id", out _, out _));
    }

    [Fact]
    public void An_id_answered_exactly_one_ttl_ago_is_trimmed_by_the_next_reservation()
    {
        var clock = new ManualTimeProvider();
        var cache = new BatchIdCache(new BatchOptions { BatchIdTtl = TimeSpan.FromMinutes(10) }, clock);
        Assert.True(cache.TryReserve("old", out var entry, out _));
        cache.Complete("old", entry, Ok);

        clock.Advance(TimeSpan.FromMinutes(10));
        Assert.True(cache.TryReserve("new", out _, out _));

        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void No_more_answered_ids_are_remembered_than_the_capacity_and_the_oldest_go_first()
    {
        var cache = new BatchIdCache(new BatchOptions { BatchIdCapacity = 2 }, new ManualTimeProvider());
        foreach (var id in new[] { "a", "b", "c" })
        {
            Assert.True(cache.TryReserve(id, out var entry, out _));
            cache.Complete(id, entry, Ok);
        }

        Assert.Equal(2, cache.Count);
        Assert.False(cache.TryReserve("c", out _, out _)); // the newest is remembered
        Assert.True(cache.TryReserve("a", out _, out _)); // the oldest was forgotten
    }

    [Fact]
    public void Over_capacity_an_id_still_in_progress_is_never_trimmed_so_its_duplicate_waits()
    {
        var cache = new BatchIdCache(new BatchOptions { BatchIdCapacity = 1 }, new ManualTimeProvider());
        Assert.True(cache.TryReserve("first", out var first, out _));
        Assert.True(cache.TryReserve("second", out _, out _));
        Assert.True(cache.TryReserve("third", out _, out _));

        Assert.False(cache.TryReserve("first", out var same, out var answer));
        Assert.Same(first, same);
        Assert.False(answer.IsCompleted);
    }
}
