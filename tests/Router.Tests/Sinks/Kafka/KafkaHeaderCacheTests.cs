using System.Globalization;
using Beacon.Router.Routing;
using Beacon.Router.Sinks.Kafka;

namespace Beacon.Router.Tests.Sinks.Kafka;

public sealed class KafkaHeaderCacheTests
{
    [Fact]
    public void Records_with_the_same_priority_route_and_sample_rate_share_one_set_of_headers()
    {
        var cache = new KafkaHeaderCache(enabled: true);

        var headers = cache.Get(Priority.P2, "exposure", 0.25);

        Assert.Same(headers, cache.Get(Priority.P2, "exposure", 0.25));
        Assert.NotSame(headers, cache.Get(Priority.P2, "exposure", 1.0));
        Assert.NotSame(headers, cache.Get(Priority.P1, "exposure", 0.25));
        Assert.NotSame(headers, cache.Get(Priority.P2, "click", 0.25));
    }

    [Fact]
    public void The_cache_holds_at_most_4096_entries_and_starts_over_when_a_new_one_would_pass_that()
    {
        var cache = new KafkaHeaderCache(enabled: true);
        var first = cache.Get(Priority.P1, "route-0", 1.0);
        for (var i = 1; i < 4096; i++)
        {
            cache.Get(Priority.P1, "route-" + i.ToString(CultureInfo.InvariantCulture), 1.0);
        }

        Assert.Same(first, cache.Get(Priority.P1, "route-0", 1.0)); // 4096 entries: all kept

        cache.Get(Priority.P1, "route-4096", 1.0);

        var rebuilt = cache.Get(Priority.P1, "route-0", 1.0);
        Assert.NotSame(first, rebuilt);
        Assert.Equal(first.Select(static h => (h.Key, h.GetValueBytes())), rebuilt.Select(static h => (h.Key, h.GetValueBytes())));
    }

    [Fact]
    public void With_headers_off_every_record_gets_the_same_empty_headers()
    {
        var cache = new KafkaHeaderCache(enabled: false);

        var headers = cache.Get(Priority.P0, "order", 1.0);

        Assert.Empty(headers);
        Assert.Same(headers, cache.Get(Priority.P3, "view", 0.5));
    }
}
