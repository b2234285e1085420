using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Beacon.Collector.Tests.Hosting;
using Beacon.Router.Segments;
using Beacon.Router.Sinks;
using Beacon.Router.Tests;
using Beacon.Tests.Kafka;
using Xunit.Abstractions;
using static Beacon.Collector.Tests.Batch.BatchRequests;

namespace Beacon.Collector.Tests.Batch;

/// <summary>
/// A 200 for a batch promises its events are durable. A crash (SIGKILL: no shutdown code runs) under
/// batch load must lose none of the events answered 200, and the restarted collector must carry on
/// from what is on disk.
/// </summary>
public sealed class BatchCrashTests(ITestOutputHelper output) : IDisposable
{
    private const int EventsPerBatch = 20;
    private const int CrashAfterBatches = 150;
    private const int Clients = 8;
    private const int SecondRunFrom = 1_000_000;
    private static readonly string[] RecordTopics = ["beacon.p0", "beacon.p1", "beacon.p2", "beacon.p3", "beacon.dlq"];
    private readonly TempDirectory _temp = new();

    private string DataDirectory => _temp.Path;

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task A_crash_under_batch_load_loses_no_event_answered_200_and_the_restart_appends_after_them()
    {
        // Small segments, so the crash can also land while one rolls.
        string[] settings = ["--Beacon:DataDirectory=" + DataDirectory, "--Beacon:Segments:SegmentBytes=262144"];
        HashSet<int> answered;
        using (var first = await CollectorProcess.StartAsync(settings))
        {
            answered = await SendUntilCrashAsync(first);
        }

        using (var second = await CollectorProcess.StartAsync(settings))
        {
            using var client = new HttpClient { BaseAddress = second.Address };
            for (var b = 0; b < 10; b++)
            {
                var from = SecondRunFrom + (b * EventsPerBatch);
                var (status, _) = await SendAsync(client, Post(BatchJson(EventsPerBatch, from: from)));
                Assert.Equal(200, status);
                answered.UnionWith(Enumerable.Range(from, EventsPerBatch));
            }

            second.Terminate();
            await second.WaitForExitAsync(TimeSpan.FromMinutes(1));
            Assert.Equal(0, second.ExitCode);
        }

        var (stored, skippedTornBytes) = ReadStored(DataDirectory);
        output.WriteLine($"answered 200: {answered.Count} events; stored: {stored.Count}; torn bytes skipped: {skippedTornBytes}");
        Assert.Equal(stored.Count, stored.Distinct().Count());
        Assert.Subset(stored.ToHashSet(), answered);
    }

    [Fact]
    public async Task A_crash_while_kafka_is_down_loses_no_event_answered_200_the_restart_replays_the_spool()
    {
        using var bed = new KafkaTestBed(partitions: 16);
        using var reader = new TopicReader(bed.Cluster.BootstrapServers, KafkaTestBed.Topics);
        string[] settings = [.. bed.Settings().Select(static s => $"--{s.Key}={s.Value}")];
        HashSet<int> answered;
        using (var first = await CollectorProcess.StartAsync(settings))
        {
            bed.Cluster.TakeBrokersDown(); // every 200 from here means: in the fsync'd spool
            answered = await SendUntilCrashAsync(first);
        }

        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(bed.DataDirectory, "spool"), "*.seg", SearchOption.AllDirectories));
        bed.Cluster.BringBrokersUp();
        using var second = await CollectorProcess.StartAsync(settings);
        var records = await reader.WaitForAsync(answered.Count, TimeSpan.FromMinutes(3));
        second.Terminate();
        await second.WaitForExitAsync(TimeSpan.FromMinutes(1));

        var stored = records.Select(r => NumberOf(JsonDocument.Parse(r.Message.Value).RootElement)).ToHashSet();
        output.WriteLine($"answered 200: {answered.Count} events; in Kafka: {records.Count} records, {stored.Count} distinct");
        Assert.Equal(0, second.ExitCode);
        Assert.Subset(stored, answered);
    }

    [Fact]
    public async Task A_crash_loses_no_held_event_answered_200_and_lifting_the_hold_after_the_restart_releases_them_all()
    {
        string[] settings = ["--Beacon:DataDirectory=" + DataDirectory, "--Beacon:Rules:Hold:ReleaseRecordsPerSecond=100000"];
        HashSet<int> answered;
        using (var first = await CollectorProcess.StartAsync(settings))
        {
            // Batch events are page views: all of them go to the hold lane, answered once it is fsync'd.
            await PutRulesAsync(first, """{"rules":[{"id":"hold-pv","action":"hold","scope":{"route":["pageview"]}}]}""");
            answered = await SendUntilCrashAsync(first);
        }

        Assert.Empty(ReadStored(DataDirectory).Numbers);
        using var second = await CollectorProcess.StartAsync(settings);
        await PutRulesAsync(second, """{"rules":[]}""");
        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (ReadStored(DataDirectory).Numbers.Count < answered.Count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        second.Terminate();
        await second.WaitForExitAsync(TimeSpan.FromMinutes(1));
        var (stored, _) = ReadStored(DataDirectory);
        output.WriteLine($"answered 200 while held: {answered.Count} events; released after the restart: {stored.Count}");
        Assert.Equal(0, second.ExitCode);
        Assert.Equal(stored.Count, stored.Distinct().Count());
        Assert.Subset(stored.ToHashSet(), answered);
    }

    private static async Task PutRulesAsync(CollectorProcess collector, string json)
    {
        using var admin = new HttpClient { BaseAddress = collector.AdminAddress };
        using var content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        using var response = await admin.PutAsync("/admin/rules", content);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>
    /// Sends batches of distinct numbered events from several clients and SIGKILLs the collector once
    /// <see cref="CrashAfterBatches"/> were answered, while the others are in flight.
    /// Returns the numbers of the events answered 200.
    /// </summary>
    private static async Task<HashSet<int>> SendUntilCrashAsync(CollectorProcess collector)
    {
        using var client = new HttpClient { BaseAddress = collector.Address, Timeout = TimeSpan.FromSeconds(30) };
        var answered = new ConcurrentBag<int>();
        var answeredBatches = 0;
        var nextBatch = -1;
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var from = Interlocked.Increment(ref nextBatch) * EventsPerBatch;
                int status;
                try
                {
                    status = (await SendAsync(client, Post(BatchJson(EventsPerBatch, from: from)))).Status;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException or JsonException)
                {
                    return; // the collector is gone
                }

                Assert.Equal(200, status);
                foreach (var n in Enumerable.Range(from, EventsPerBatch))
                {
                    answered.Add(n);
                }

                if (Interlocked.Increment(ref answeredBatches) == CrashAfterBatches)
                {
                    collector.Crash();
                }
            }
        })));
        await collector.WaitForExitAsync(TimeSpan.FromMinutes(1));
        Assert.True(answered.Count >= CrashAfterBatches * EventsPerBatch);
        return [.. answered];
    }

    private static (List<int> Numbers, long SkippedTornBytes) ReadStored(string dataDirectory)
    {
        var numbers = new List<int>();
        var skipped = 0L;
        foreach (var topic in RecordTopics)
        {
            var directory = SegmentFileSink.TopicDirectory(dataDirectory, topic);
            if (!Directory.Exists(directory))
            {
                continue;
            }

            using var cursor = new SegmentCursor(directory);
            while (cursor.TryRead(out var record))
            {
                using var json = JsonDocument.Parse(record.Value);
                numbers.Add(NumberOf(json.RootElement));
            }

            skipped += cursor.SkippedTornBytes;
        }

        return (numbers, skipped);
    }

    private static int NumberOf(JsonElement record)
    {
        var n = record.GetProperty("props").GetProperty("n");
        return n.ValueKind == JsonValueKind.Number ? n.GetInt32() : int.Parse(n.GetString()!, CultureInfo.InvariantCulture);
    }
}
