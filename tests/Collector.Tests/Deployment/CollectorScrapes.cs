using System.Diagnostics;
using Beacon.Collector.Tests.Hosting;
using Beacon.Router.Routing;
using Beacon.Router.Sinks.Kafka;

namespace Beacon.Collector.Tests.Deployment;

/// <summary>
/// Real <c>/metrics</c> scrapes of two running collectors: one with the embedded sink, one producing to
/// librdkafka's mock cluster (the Kafka gauges exist only then). Each has answered a few pixels, a
/// malformed one and an over-long one, and acknowledged records, so every family has been published.
/// </summary>
public sealed class CollectorScrapes : IAsyncLifetime
{
    private static readonly string[] Pixels =
        ["/b.gif?e=pv&a=shop", "/b/order.gif?e=order&oid=1", "/b.gif?e=exp", "/b.gif?e=perf", "/b.gif?e=pv&bad=%zz", "/b.gif?e=pv&x=" + new string('a', 5000)];

    private readonly List<string> _scrapes = [];

    /// <summary>Every metric family either scrape declares, with its type (counter, gauge, histogram).</summary>
    public IReadOnlyDictionary<string, string> Families { get; private set; } = new Dictionary<string, string>();

    public async Task InitializeAsync()
    {
        await using (var embedded = await CollectorHost.StartAsync())
        {
            _scrapes.Add(await ScrapeAfterTrafficAsync(embedded));
        }

        using var cluster = new KafkaMockCluster();
        foreach (var topic in new RouteTable(new RouteTableOptions()).Topics)
        {
            cluster.CreateTopic(topic, partitions: 1);
        }

        cluster.CreateTopic("beacon.config", partitions: 1);

        await using (var kafka = await CollectorHost.StartAsync(new Dictionary<string, string?> { ["Beacon:Kafka:BootstrapServers"] = cluster.BootstrapServers }))
        {
            _scrapes.Add(await ScrapeAfterTrafficAsync(kafka, "beacon_kafka_healthy 1\n"));
        }

        var families = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in _scrapes.SelectMany(static s => s.Split('\n')).Where(static l => l.StartsWith("# TYPE ", StringComparison.Ordinal)))
        {
            var parts = line.Split(' ');
            families[parts[2]] = parts[3];
        }

        Assert.Equal(families.Keys.Order(StringComparer.Ordinal), _scrapes.SelectMany(Diagnostics.ExpositionFormat.Families).Distinct().Order(StringComparer.Ordinal));
        Families = families;
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>Whether a series name is in a scrape: a family, or a histogram family's _bucket, _sum or _count.</summary>
    public bool Covers(string series) =>
        Families.ContainsKey(series)
        || new[] { "_bucket", "_sum", "_count" }.Any(suffix => series.EndsWith(suffix, StringComparison.Ordinal)
            && Families.TryGetValue(series[..^suffix.Length], out var type) && type == "histogram");

    private static async Task<string> ScrapeAfterTrafficAsync(CollectorHost host, string? awaited = null)
    {
        // A rule that keeps everything: the per-rule families get series without changing the counts below.
        using (var rule = await host.Admin.PutAsync("/admin/rules", new StringContent("""{"rules":[{"id":"keep-all","action":"sample","rate":1}]}""")))
        {
            rule.EnsureSuccessStatusCode();
        }

        foreach (var pixel in Pixels)
        {
            using var response = await host.Client.GetAsync(pixel);
        }

        using var beacon = await host.Client.PostAsync("/b", new StringContent("e=click&a=shop"));
        var acknowledged = $"beacon_event_latency_seconds_count {Pixels.Length}\n"; // the 414 is not recorded; the POST is
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var scrape = await host.Admin.GetStringAsync("/metrics");
            if (scrape.Contains(acknowledged, StringComparison.Ordinal)
                && (awaited is null || scrape.Contains(awaited, StringComparison.Ordinal)))
            {
                return scrape;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1), "the collector did not acknowledge its records within a minute:\n" + scrape);
            await Task.Delay(50);
        }
    }
}
