using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Beacon.Collector.Buffering;
using Beacon.Collector.Tests.Hosting;
using Beacon.Router.Sinks.Kafka;
using Beacon.Router.Spooling;
using Beacon.Tests.Kafka;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace Beacon.Collector.Tests.Pipeline;

/// <summary>The whole collector producing to librdkafka's mock cluster (the real protocol over loopback TCP).</summary>
public sealed class KafkaPipelineTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(3);
    private readonly KafkaTestBed _bed = new(partitions: 16); // many: the mock cluster forgets old data past a few MiB per partition
    private readonly ITestOutputHelper _output;

    public KafkaPipelineTests(ITestOutputHelper output)
    {
        _output = output;
        _bed.Cluster.CreateTopic("beacon.config", partitions: 1);
    }

    public void Dispose() => _bed.Dispose();

    [Fact]
    public async Task A_hundred_thousand_pixels_arrive_once_each_on_their_topic_with_key_and_headers()
    {
        const int total = 100_000;
        using var reader = new TopicReader(_bed.Cluster.BootstrapServers, KafkaTestBed.Topics);
        var settings = _bed.Settings();
        settings["Beacon:Kafka:Headers"] = "true";
        await using var host = await CollectorHost.StartAsync(settings);
        var events = new[] { "pv", "order", "exp", "perf", "click" };
        var next = -1;

        await Task.WhenAll(Enumerable.Range(0, 32).Select(async _ =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) < total)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, $"/b.gif?e={events[n % 5]}&a=shop&n={n}");
                request.Headers.Add("Cookie", "bid=" + VisitorOf(n));
                using var response = await host.Client.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }));
        var records = await reader.WaitForAsync(total, Patience);
        var metrics = await host.Admin.GetStringAsync("/metrics");
        await host.StopAsync();

        // Receive -> Kafka acknowledgement, per record: all of them, none absurdly late.
        Assert.Contains($"beacon_event_latency_seconds_count {total}\n", metrics, StringComparison.Ordinal);
        Assert.Contains($"beacon_event_latency_seconds_bucket{{le=\"300\"}} {total}\n", metrics, StringComparison.Ordinal);
        Assert.Equal(total, records.Count);
        Assert.Equal(Enumerable.Range(0, total), records.Select(NumberOf).Order());
        string[] expectedTopics = ["beacon.p1", "beacon.p0", "beacon.p2", "beacon.p3", "beacon.p1"];
        Assert.All(records, r =>
        {
            var n = NumberOf(r);
            Assert.Equal(expectedTopics[n % 5], r.Topic);
            Assert.Equal(VisitorOf(n), Encoding.UTF8.GetString(r.Message.Key));
            Assert.Equal(r.Topic[^2..], Header(r, KafkaHeaders.Priority));
            Assert.Equal("1", Header(r, KafkaHeaders.Schema));
            Assert.Equal("1", Header(r, KafkaHeaders.SampleRate));
            Assert.NotNull(Header(r, KafkaHeaders.Route));
        });
        Assert.Equal(total, records.Select(static r => Json(r).GetProperty("event_id").GetString()).Distinct().Count());
        Assert.Equal(0, host.Services.GetRequiredService<SpoolCounters>().TotalSpooled);
    }

    [Fact]
    public async Task Every_record_accepted_during_a_thirty_second_outage_is_in_kafka_after_recovery()
    {
        using var reader = new TopicReader(_bed.Cluster.BootstrapServers, KafkaTestBed.Topics);
        await using var host = await CollectorHost.StartAsync(_bed.Settings());
        var answered = new ConcurrentBag<int>();
        var next = -1;
        using var stopLoad = new CancellationTokenSource();
        var load = Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
        {
            while (!stopLoad.IsCancellationRequested)
            {
                var n = Interlocked.Increment(ref next);
                HttpResponseMessage response;
                if (n % 5 == 0)
                {
                    // What navigator.sendBeacon sends.
                    using var body = new StringContent($"e=click&n={n}", Encoding.UTF8, "text/plain");
                    response = await host.Client.PostAsync("/b", body);
                }
                else
                {
                    response = await host.Client.GetAsync($"/b.gif?e={(n % 2 == 0 ? "order" : "pv")}&n={n}");
                }

                if (response.IsSuccessStatusCode)
                {
                    answered.Add(n);
                }

                response.Dispose();
                await Task.Delay(10);
            }
        }));

        await Task.Delay(TimeSpan.FromSeconds(2));
        _bed.Cluster.TakeBrokersDown();
        await Task.Delay(TimeSpan.FromSeconds(30));
        _bed.Cluster.BringBrokersUp();
        await Task.Delay(TimeSpan.FromSeconds(2));
        await stopLoad.CancelAsync();
        await load;

        var spool = host.Services.GetRequiredService<SpoolCounters>();
        var clock = Stopwatch.StartNew();
        while (spool.TotalSpooled > spool.TotalReplayed + spool.TotalEvicted && clock.Elapsed < Patience)
        {
            await Task.Delay(100);
        }

        var records = await reader.WaitForAsync(answered.Count, Patience);
        _output.WriteLine($"answered {answered.Count}, consumed {records.Count}, spooled {spool.TotalSpooled}, replayed {spool.TotalReplayed}; drained in {clock.Elapsed}");
        await host.StopAsync();

        Assert.True(spool.TotalSpooled > 0, "the outage never reached the spool");
        Assert.Subset(records.Select(NumberOf).ToHashSet(), answered.ToHashSet());
        Assert.All(records.GroupBy(NumberOf), static copies =>
            Assert.Single(copies.Select(static c => Json(c).GetProperty("event_id").GetString()).Distinct()));

        // The books: everything the edge admitted reached the sink, and all of it reached Kafka.
        var kafka = host.Services.GetRequiredService<KafkaSinkCounters>();
        Assert.Equal(host.Services.GetRequiredService<BeaconRing>().Admitted, kafka.Appended);
        Assert.Equal(0, kafka.InFlight);
        Assert.Equal(0, spool.TotalShed + spool.TotalEvicted);
        Assert.Equal(kafka.Appended, kafka.Delivered + spool.TotalReplayed);
    }

    [Fact]
    public async Task Sigterm_while_kafka_is_down_leaves_the_rest_in_the_spool_and_a_restart_replays_it()
    {
        using var reader = new TopicReader(_bed.Cluster.BootstrapServers, KafkaTestBed.Topics);
        var answered = new List<int>();
        using (var first = await CollectorProcess.StartAsync(KafkaArguments()))
        {
            using var client = new HttpClient { BaseAddress = first.Address };
            for (var n = 0; n < 1200; n++)
            {
                if (n == 200)
                {
                    _bed.Cluster.TakeBrokersDown();
                }

                using var response = await client.GetAsync($"/b.gif?e=pv&n={n}");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                answered.Add(n);
            }

            first.Terminate();
            await first.WaitForExitAsync(TimeSpan.FromMinutes(1));
            Assert.Equal(0, first.ExitCode);
        }

        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(_bed.DataDirectory, "spool"), "*.seg", SearchOption.AllDirectories));
        _bed.Cluster.BringBrokersUp();
        using var second = await CollectorProcess.StartAsync(KafkaArguments());
        var records = await reader.WaitForAsync(answered.Count, Patience);
        second.Terminate();
        await second.WaitForExitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(answered, records.Select(NumberOf).Distinct().Order());
    }

    private string[] KafkaArguments() => [.. _bed.Settings().Select(static s => $"--{s.Key}={s.Value}")];

    private static string VisitorOf(int n) => ((n % 1000) + 1).ToString("x32", CultureInfo.InvariantCulture);

    private static JsonElement Json(ConsumeResult<byte[], byte[]> record) => JsonDocument.Parse(record.Message.Value).RootElement;

    private static int NumberOf(ConsumeResult<byte[], byte[]> record) =>
        int.Parse(Json(record).GetProperty("props").GetProperty("n").GetString()!, CultureInfo.InvariantCulture);

    private static string? Header(ConsumeResult<byte[], byte[]> record, string name) =>
        record.Message.Headers.TryGetLastBytes(name, out var value) ? Encoding.UTF8.GetString(value) : null;
}
