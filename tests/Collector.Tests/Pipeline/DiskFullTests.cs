using System.Globalization;
using System.Net;
using System.Text.Json;
using Beacon.Collector.Tests.Hosting;
using Beacon.Router.Segments;
using Beacon.Router.Sinks;
using Beacon.Router.Tests;
using Xunit.Abstractions;
using static Beacon.Collector.Tests.Batch.BatchRequests;

namespace Beacon.Collector.Tests.Pipeline;

/// <summary>
/// Writes that fail for a while (a full disk, made with a file-size limit on the real process): the
/// pipeline goes on, batches are refused rather than acknowledged, and once writes work again the
/// records land, every one accounted for.
/// </summary>
public sealed class DiskFullTests(ITestOutputHelper output) : IDisposable
{
    private const int Pixels = 200;
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task The_pipeline_outlives_failing_writes_and_every_answered_pixel_is_written_refused_or_counted_lost()
    {
        var environment = new Dictionary<string, string?> { ["DOTNET_EnableWriteXorExecute"] = "0" }; // no growing code file of its own
        using var collector = await CollectorProcess.StartWithWritesThatCanFailAsync(environment, "--Beacon:DataDirectory=" + _temp.Path);
        using var client = new HttpClient { BaseAddress = collector.Address };
        using var admin = new HttpClient { BaseAddress = collector.AdminAddress };
        var views = SegmentFileSink.TopicDirectory(_temp.Path, "beacon.p1");

        await SendPixelsAsync(client, from: 0);
        await WaitForAsync(() => Numbers("beacon.p1").Count == Pixels);

        // The disk is full: no file may grow past its size now.
        await collector.LimitFileSizeAsync(new FileInfo(Assert.Single(SegmentFormat.ListSegments(views))).Length);
        await SendPixelsAsync(client, from: 1000);
        var (batchStatus, batchAnswer) = await SendAsync(client, Post(BatchJson(5, from: 5000)));
        Assert.Equal(503, batchStatus);
        Assert.Equal("sink_failed", batchAnswer.GetProperty("error").GetString());
        await WaitForAsync(async () => Metric(await admin.GetStringAsync("/metrics"), "beacon_pipeline_flush_failures_total") > 0);

        // Space again: the records still buffered are written, and new ones follow them.
        await collector.LimitFileSizeAsync(null);
        await SendPixelsAsync(client, from: 2000);
        await WaitForAsync(() => Numbers("beacon.p1").Any(static n => n >= 2000 + Pixels - 1));
        var metrics = await admin.GetStringAsync("/metrics");
        collector.Terminate();
        await collector.WaitForExitAsync(TimeSpan.FromMinutes(1));

        var stored = Numbers("beacon.p1");
        var deadLetters = Numbers("beacon.dlq");
        var lost = Metric(metrics, "beacon_pipeline_lost_total{reason=\"unroutable\"}");
        output.WriteLine($"stored {stored.Count}, dead letters {deadLetters.Count}, lost {lost}, flush failures {Metric(metrics, "beacon_pipeline_flush_failures_total")}");
        Assert.Equal(0, collector.ExitCode);

        // Before and after the failure every pixel is there once (a torn frame in between would hide
        // what follows it from readers).
        Assert.Equal(stored.Count, stored.Distinct().Count());
        Assert.Subset(stored.ToHashSet(), Enumerable.Range(0, Pixels).Concat(Enumerable.Range(2000, Pixels)).ToHashSet());

        // Every record the pipeline took (600 pixels, 5 batch events) is written, dead-lettered or counted lost.
        Assert.Equal((3 * Pixels) + 5, Metric(metrics, "beacon_ring_admitted_total"));
        Assert.Equal((3 * Pixels) + 5, stored.Count + deadLetters.Count + lost);
    }

    [Fact]
    public async Task With_kafka_not_answering_and_the_spool_unable_to_write_no_failed_delivery_is_dropped()
    {
        const int Events = 400; // more spool entries than the spool's 64 KiB write buffer holds, so spooling itself fails
        using var bed = new KafkaTestBed(partitions: 4);
        var environment = new Dictionary<string, string?> { ["DOTNET_EnableWriteXorExecute"] = "0" };
        var settings = bed.Settings();
        settings["Beacon:Batch:AckTimeout"] = "00:01:00";
        using var collector = await CollectorProcess.StartWithWritesThatCanFailAsync(environment, [.. settings.Select(static s => $"--{s.Key}={s.Value}")]);
        using var client = new HttpClient { BaseAddress = collector.Address, Timeout = TimeSpan.FromMinutes(2) };
        using var admin = new HttpClient { BaseAddress = collector.AdminAddress };

        // Kafka stops answering and the disk fills. One batch puts every event into the producer in one
        // pass of the pipeline, before any delivery can fail (which would send later records straight to
        // the spool); then all of them fail, and their way into the spool is blocked too.
        bed.Cluster.DelayResponses(TimeSpan.FromMinutes(1));
        await collector.LimitFileSizeAsync(SegmentFormat.FileHeaderLength);
        var batch = SendAsync(client, Post(BatchJson(Events)));
        await WaitForAsync(async () => Metric(await admin.GetStringAsync("/metrics"), "beacon_kafka_failed_total") == Events);
        await WaitForAsync(async () => Metric(await admin.GetStringAsync("/metrics"), "beacon_pipeline_flush_failures_total") > 0);

        // The disk comes back: every failed delivery is spooled, none was dropped on the way.
        await collector.LimitFileSizeAsync(null);
        await WaitForAsync(async () => Sum(await admin.GetStringAsync("/metrics"), "beacon_spool_spooled_total{") == Events);

        // The batch is answered: 200 if its events were all spooled durably, or 503 sink_failed (retry)
        // if a flush failed while some of them were waiting on it. Never a hang.
        var (status, answer) = await batch;
        Assert.True(status == 200 || (status == 503 && answer.GetProperty("error").GetString() == "sink_failed"), $"batch answered {status}: {answer}");
        collector.Terminate();
        await collector.WaitForExitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(0, collector.ExitCode);
    }

    private static async Task SendPixelsAsync(HttpClient client, int from)
    {
        for (var n = from; n < from + Pixels; n++)
        {
            using var response = await client.GetAsync($"/b.gif?e=pv&n={n}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    /// <summary>The numbers of the records in a topic (pixels and batch events); a dead letter keeps them in its raw input.</summary>
    private List<int> Numbers(string topic)
    {
        var numbers = new List<int>();
        var directory = SegmentFileSink.TopicDirectory(_temp.Path, topic);
        if (!Directory.Exists(directory))
        {
            return numbers;
        }

        using var cursor = new SegmentCursor(directory);
        while (cursor.TryRead(out var record))
        {
            using var json = JsonDocument.Parse(record.Value);
            var root = json.RootElement;
            if (root.TryGetProperty("props", out var props))
            {
                var n = props.GetProperty("n");
                numbers.Add(n.ValueKind == JsonValueKind.Number ? n.GetInt32() : int.Parse(n.GetString()!, CultureInfo.InvariantCulture));
            }
            else
            {
                var raw = root.GetProperty("raw").GetString()!;
                var value = raw[(raw.IndexOf("n=", StringComparison.Ordinal) + 2)..];
                numbers.Add(int.Parse(value.Split('&')[0], CultureInfo.InvariantCulture));
            }
        }

        return numbers;
    }

    private static long Metric(string scrape, string series)
    {
        var line = scrape.Split('\n').SingleOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }

    private static long Sum(string scrape, string seriesPrefix) =>
        scrape.Split('\n').Where(l => l.StartsWith(seriesPrefix, StringComparison.Ordinal))
            .Sum(static l => long.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

    private static Task WaitForAsync(Func<bool> condition) => WaitForAsync(() => Task.FromResult(condition()));

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within a minute");
            await Task.Delay(50);
        }
    }
}
