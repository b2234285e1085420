using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Beacon.Collector.Batch;
using Beacon.Collector.Tests.Hosting;
using Beacon.Router.Sinks.Kafka;
using Beacon.Router.Spooling;
using Beacon.Tests.Kafka;
using static Beacon.Collector.Tests.Batch.BatchRequests;

namespace Beacon.Collector.Tests.Batch;

/// <summary><c>/v1/batch</c> producing to librdkafka's mock cluster (the real protocol over loopback TCP).</summary>
public sealed class BatchKafkaTests : IDisposable
{
    private readonly KafkaTestBed _bed = new(partitions: 8);

    public void Dispose() => _bed.Dispose();

    [Fact]
    public async Task Batch_events_are_in_kafka_when_answered_with_batch_fields_merged_and_the_device_id_as_key()
    {
        using var reader = new TopicReader(_bed.Cluster.BootstrapServers, KafkaTestBed.Topics);
        await using var host = await CollectorHost.StartAsync(_bed.Settings());
        var devices = new[] { "6f9619ff8b86d011b42d00c04fc964ff", "0d2a63a1-4c2e-4bbb-9c53-5d8e2b0e9f11", "android-7f3a" };

        for (var b = 0; b < 3; b++)
        {
            var (status, body) = await SendAsync(host.Client, Post(Encode(BatchJson(200, deviceId: devices[b], from: b * 200), "gzip"), "gzip"));
            Assert.Equal(200, status);
            Assert.Equal(200, body.GetProperty("accepted").GetInt32());
        }

        // 200 means Kafka acknowledged every event of the batch.
        var kafka = host.Services.GetRequiredService<KafkaSinkCounters>();
        Assert.Equal(600, kafka.Delivered);
        var records = await reader.WaitForAsync(600, TimeSpan.FromMinutes(2));

        Assert.Equal(Enumerable.Range(0, 600), records.Select(static r => Number(Json(r))).Order());
        Assert.All(records, r =>
        {
            var json = Json(r);
            var device = devices[Number(json) / 200];
            var key = DeviceIds.ToVisitorId(Encoding.UTF8.GetBytes(device)).ToString("N");
            Assert.Equal(key, Encoding.UTF8.GetString(r.Message.Key));
            Assert.Equal(key, json.GetProperty("visitor_id").GetString());
            Assert.Equal(device, json.GetProperty("props").GetProperty("device_id").GetString());
            Assert.Equal("shop", json.GetProperty("app").GetString());
            Assert.Equal("ios", json.GetProperty("platform").GetString());
            Assert.Equal("u-1", json.GetProperty("user_id").GetString());
            Assert.Equal(1763712000000, json.GetProperty("sent_at").GetInt64());
            Assert.Equal("ios/2.1.0", json.GetProperty("sdk").GetString());
            Assert.Equal("batch", json.GetProperty("transport").GetString());
            Assert.Empty(r.Message.Headers ?? []); // headers are opt-in (Beacon:Kafka:Headers)
        });
        Assert.Equal("6f9619ff8b86d011b42d00c04fc964ff", Encoding.UTF8.GetString(records.First(static r => Number(Json(r)) == 0).Message.Key));
        Assert.Equal("0d2a63a14c2e4bbb9c535d8e2b0e9f11", Encoding.UTF8.GetString(records.First(static r => Number(Json(r)) == 200).Message.Key));
    }

    [Fact]
    public async Task With_brokers_down_and_the_spool_full_a_batch_is_503_with_retry_after()
    {
        var settings = _bed.Settings();
        settings["Beacon:Spool:MaxBytes"] = "1"; // nothing fits: the spool is full
        await using var host = await CollectorHost.StartAsync(settings);
        _bed.Cluster.TakeBrokersDown();

        using var request = Post(Encode(BatchJson(50), "gzip"), "gzip", batchId: "outage-1");
        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        Assert.Contains("\"error\":\"sink_failed\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, host.Services.GetRequiredService<BatchCounters>().Refused(BatchRefusal.SinkFailed));
        Assert.True(host.Services.GetRequiredService<SpoolCounters>().TotalShed > 0);
        Assert.Equal(0, host.Services.GetRequiredService<BatchCounters>().AcceptedEvents);
    }

    [Fact]
    public async Task With_brokers_down_a_batch_is_answered_once_its_events_are_in_the_fsynced_spool()
    {
        await using var host = await CollectorHost.StartAsync(_bed.Settings());
        _bed.Cluster.TakeBrokersDown();

        var (status, body) = await SendAsync(host.Client, Post(Encode(BatchJson(50), "zstd"), "zstd"));

        Assert.Equal(200, status);
        Assert.Equal(50, body.GetProperty("accepted").GetInt32());
        var spool = host.Services.GetRequiredService<SpoolCounters>();
        Assert.Equal(50, spool.TotalSpooled);
    }

    private static JsonElement Json(Confluent.Kafka.ConsumeResult<byte[], byte[]> record) => JsonDocument.Parse(record.Message.Value).RootElement;

    private static int Number(JsonElement record) =>
        int.Parse(record.GetProperty("props").GetProperty("n").GetString()!, CultureInfo.InvariantCulture);
}
