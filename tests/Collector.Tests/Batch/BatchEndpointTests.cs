using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Text;
using Beacon.Collector.Batch;
using Beacon.Collector.Buffering;
using Beacon.Collector.Tests.Hosting;
using static Beacon.Collector.Tests.Batch.BatchRequests;

namespace Beacon.Collector.Tests.Batch;

/// <summary><c>POST /v1/batch</c> on real Kestrel with the embedded sink (segment files).</summary>
public sealed class BatchEndpointTests
{
    [Theory]
    [InlineData("identity")]
    [InlineData("gzip")]
    [InlineData("br")]
    [InlineData("zstd")]
    public async Task A_thousand_event_batch_is_durable_on_disk_when_it_is_answered_in_every_encoding(string encoding)
    {
        await using var host = await CollectorHost.StartAsync();

        var (status, body) = await SendAsync(host.Client, Post(Encode(BatchJson(1000), encoding), encoding));

        Assert.Equal(200, status);
        Assert.Equal(1000, body.GetProperty("accepted").GetInt32());
        Assert.Equal(0, body.GetProperty("rejected").GetArrayLength());

        // Answered means written and fsync'd: readable now, without stopping the host.
        var records = host.ReadTopic("beacon.p1").Concat(host.ReadTopic("beacon.p2")).ToList();
        Assert.Equal(Enumerable.Range(0, 1000), records.Select(static r => int.Parse(r.GetProperty("props").GetProperty("n").GetString()!, CultureInfo.InvariantCulture)).Order());
        Assert.All(records, static r =>
        {
            Assert.Equal("batch", r.GetProperty("transport").GetString());
            Assert.Equal("shop", r.GetProperty("app").GetString());
            Assert.Equal("ios", r.GetProperty("platform").GetString());
            Assert.Equal("u-1", r.GetProperty("user_id").GetString());
            Assert.Equal("6f9619ff8b86d011b42d00c04fc964ff", r.GetProperty("visitor_id").GetString());
            Assert.Equal("ios/2.1.0", r.GetProperty("sdk").GetString());
            Assert.Equal("{\"model\":\"iPhone15,2\",\"os_version\":\"17.1\"}", r.GetProperty("props").GetProperty("device").GetString());
        });
        Assert.Equal(1000, host.Services.GetRequiredService<BatchCounters>().AcceptedEvents);
    }

    [Fact]
    public async Task Event_level_fields_win_over_batch_fields_and_short_names_are_aliases()
    {
        await using var host = await CollectorHost.StartAsync();
        const string json = """
            {"app":"shop","user_id":"batch-user","device_id":"android-7f3a","events":[
              {"event":"pv","user_id":"event-user","t":"2025-11-21T10:00:00Z","session_id":"s1","event_id":"e-1","tags":["a","b"]},
              {"e":"order","a":"checkout","x":"a&b=c%d+e"}]}
            """;

        var (status, body) = await SendAsync(host.Client, Post(json));

        Assert.Equal(200, status);
        Assert.Equal(2, body.GetProperty("accepted").GetInt32());
        var pv = Assert.Single(host.ReadTopic("beacon.p1"));
        Assert.Equal("event-user", pv.GetProperty("user_id").GetString());
        Assert.Equal("shop", pv.GetProperty("app").GetString());
        Assert.Equal(1763719200000, pv.GetProperty("client_time").GetInt64());
        Assert.Equal("s1", pv.GetProperty("session_id").GetString());
        Assert.Equal("e-1", pv.GetProperty("event_id").GetString());
        Assert.Equal("[\"a\",\"b\"]", pv.GetProperty("props").GetProperty("tags").GetString());
        Assert.Equal("android-7f3a", pv.GetProperty("props").GetProperty("device_id").GetString());

        // A device id that is not a UUID still gives one stable key.
        Assert.Equal(DeviceIds.ToVisitorId("android-7f3a"u8).ToString("N"), pv.GetProperty("visitor_id").GetString());
        var order = Assert.Single(host.ReadTopic("beacon.p0"));
        Assert.Equal("checkout", order.GetProperty("app").GetString());
        Assert.Equal("a&b=c%d+e", order.GetProperty("props").GetProperty("x").GetString());
        Assert.Equal(body.GetProperty("batch_id").GetString() + "-1", order.GetProperty("event_id").GetString());
    }

    [Fact]
    public async Task Bad_events_are_rejected_by_index_with_a_reason_and_the_others_are_kept()
    {
        await using var host = await CollectorHost.StartAsync(new Dictionary<string, string?> { ["Beacon:Batch:MaxEventBytes"] = "200" });
        var big = new string('x', 300);
        var json = $$"""
            {"events":[{"event":"pv","n":"0"},{"n":"1"},"pv",{"event":"pv","big":"{{big}}"},{"event":"pv","time":-5},{"event":"pv","n":"5"},{"event":""}]}
            """;

        var (status, body) = await SendAsync(host.Client, Post(json));

        Assert.Equal(200, status);
        Assert.Equal(2, body.GetProperty("accepted").GetInt32());
        Assert.Equal(
            new (int, string?)[] { (1, "missing_event_type"), (2, "not_an_object"), (3, "event_too_large"), (4, "invalid_field"), (6, "missing_event_type") },
            body.GetProperty("rejected").EnumerateArray().Select(static r => (r.GetProperty("index").GetInt32(), r.GetProperty("reason").GetString())));
        Assert.Equal(new[] { "0", "5" }, host.ReadTopic("beacon.p1").Select(static r => r.GetProperty("props").GetProperty("n").GetString()));
        var counters = host.Services.GetRequiredService<BatchCounters>();
        Assert.Equal(2, counters.Rejected(BatchEventRejection.MissingEventType));
        Assert.Equal(1, counters.Rejected(BatchEventRejection.EventTooLarge));
    }

    [Fact]
    public async Task Malformed_json_at_every_truncation_point_is_400_with_its_position_and_enqueues_nothing()
    {
        await using var host = await CollectorHost.StartAsync();
        var valid = Encoding.UTF8.GetBytes(BatchJson(3));

        for (var length = 0; length < valid.Length; length++)
        {
            var (status, body) = await SendAsync(host.Client, Post(valid[..length]));

            Assert.Equal(400, status);
            Assert.Equal("malformed_json", body.GetProperty("error").GetString());
            Assert.InRange(body.GetProperty("position").GetInt64(), 0, length);
            Assert.Equal(1, body.GetProperty("line").GetInt64());
        }

        Assert.Equal(0, host.Services.GetRequiredService<BeaconRing>().Admitted);
        Assert.Equal(valid.Length, host.Services.GetRequiredService<BatchCounters>().Refused(BatchRefusal.MalformedJson));
        var (finalStatus, _) = await SendAsync(host.Client, Post(valid));
        Assert.Equal(200, finalStatus);
        Assert.Equal(3, host.Services.GetRequiredService<BeaconRing>().Admitted);
    }

    [Theory]
    [InlineData(31, 200)]
    [InlineData(32, 413)]
    [InlineData(5000, 413)]
    public async Task Nesting_deeper_than_the_limit_is_413_naming_the_limit(int arrays, int expected)
    {
        await using var host = await CollectorHost.StartAsync();

        // The batch object is level 1, so 31 arrays inside it reach level 32: the limit.
        var json = "{\"e\":\"pv\",\"events\":[{}],\"deep\":" + new string('[', arrays) + new string(']', arrays) + "}";
        var (status, body) = await SendAsync(host.Client, Post(json));

        Assert.Equal(expected, status);
        if (expected == 413)
        {
            Assert.Equal("json_too_deep", body.GetProperty("error").GetString());
            Assert.Equal(32, body.GetProperty("limit").GetInt32());
            Assert.Equal(0, host.Services.GetRequiredService<BeaconRing>().Admitted);
        }
    }

    [Fact]
    public async Task More_events_than_the_limit_is_413_and_nothing_is_enqueued()
    {
        await using var host = await CollectorHost.StartAsync();

        var (status, body) = await SendAsync(host.Client, Post(BatchJson(1001)));

        Assert.Equal(413, status);
        Assert.Equal("too_many_events", body.GetProperty("error").GetString());
        Assert.Equal(1000, body.GetProperty("limit").GetInt32());
        Assert.Equal(0, host.Services.GetRequiredService<BeaconRing>().Admitted);
    }

    [Fact]
    public async Task A_body_over_the_limit_as_sent_is_413_and_an_unknown_encoding_is_415()
    {
        await using var host = await CollectorHost.StartAsync(new Dictionary<string, string?> { ["Beacon:Batch:MaxBodyBytes"] = "1000" });

        var (tooLarge, body) = await SendAsync(host.Client, Post(BatchJson(50)));
        var (unknown, error) = await SendAsync(host.Client, Post(Encode(BatchJson(1), "identity"), "lz4"));

        Assert.Equal(413, tooLarge);
        Assert.Equal("body_too_large", body.GetProperty("error").GetString());
        Assert.Equal(1000, body.GetProperty("limit").GetInt32());
        Assert.Equal(415, unknown);
        Assert.Equal("unsupported_encoding", error.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_gzip_bomb_of_one_gibibyte_stops_at_the_decompressed_limit_with_flat_memory()
    {
        // Room for the ~1 MiB bomb as sent; the decompressed limit stays at its 10 MiB default.
        await using var host = await CollectorHost.StartAsync(new Dictionary<string, string?> { ["Beacon:Batch:MaxBodyBytes"] = "4194304" });
        var bomb = GzipOfZeros(1L << 30);
        Assert.InRange(bomb.Length, 1, 4 << 20);
        await SendAsync(host.Client, Post(Encode(BatchJson(1), "gzip"), "gzip")); // warm up pools and JIT

        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var (status, body) = await SendAsync(host.Client, Post(bomb, "gzip"));
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        Assert.Equal(413, status);
        Assert.Equal("decompressed_too_large", body.GetProperty("error").GetString());
        Assert.Equal(10 * 1024 * 1024, body.GetProperty("limit").GetInt32());

        // The whole process (server and client): the request and at most the limit, never the gibibyte.
        Assert.InRange(allocated, 0, 96L << 20);
    }

    [Fact]
    public async Task A_repeated_batch_id_gets_the_same_answer_and_its_events_are_written_once()
    {
        await using var host = await CollectorHost.StartAsync();
        var json = BatchJson(10, batchId: "body-id-1");

        var first = await SendAsync(host.Client, Post(json));
        var again = await SendAsync(host.Client, Post(json));
        var byHeader = await SendAsync(host.Client, Post(BatchJson(5), batchId: "header-id-1"));
        var byHeaderAgain = await SendAsync(host.Client, Post(BatchJson(5), batchId: "header-id-1"));

        Assert.Equal(200, first.Status);
        Assert.Equal(first.Body.GetRawText(), again.Body.GetRawText());
        Assert.Equal(byHeader.Body.GetRawText(), byHeaderAgain.Body.GetRawText());
        Assert.Equal("header-id-1", byHeader.Body.GetProperty("batch_id").GetString());
        Assert.Equal(15, host.Services.GetRequiredService<BeaconRing>().Admitted);
        Assert.Equal(2, host.Services.GetRequiredService<BatchCounters>().Repeated);
    }

    [Fact]
    public async Task Concurrent_copies_of_one_batch_are_enqueued_once_and_all_get_the_same_answer()
    {
        await using var host = await CollectorHost.StartAsync();
        var body = Encode(BatchJson(100), "gzip");

        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => SendAsync(host.Client, Post(body, "gzip", batchId: "concurrent-1"))));

        Assert.All(answers, static a => Assert.Equal(200, a.Status));
        Assert.Single(answers.Select(static a => a.Body.GetRawText()).Distinct());
        Assert.Equal(100, host.Services.GetRequiredService<BeaconRing>().Admitted);
        Assert.Equal(100, host.ReadTopic("beacon.p1").Count + host.ReadTopic("beacon.p2").Count);
    }

    [Fact]
    public async Task A_batch_the_ring_has_no_room_for_is_503_with_retry_after_and_none_of_it_is_admitted()
    {
        await using var host = await CollectorHost.StartAsync(new Dictionary<string, string?>
        {
            ["Beacon:Ring:Capacity"] = "16",
            ["Beacon:Ring:ShedP1At"] = "0.5",
            ["Beacon:Batch:MaxEvents"] = "16",
        });
        const string json = """{"events":[{"e":"pv"},{"e":"pv"},{"e":"pv"},{"e":"pv"},{"e":"pv"},{"e":"pv"},{"e":"pv"},{"e":"pv"},{"e":"pv"}]}""";

        using var request = Post(json, batchId: "too-big-for-the-ring");
        using var response = await host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(5), response.Headers.RetryAfter?.Delta);
        Assert.Contains("\"error\":\"ring_full\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, host.Services.GetRequiredService<BeaconRing>().Admitted);

        // A 503 is not remembered: the retry of a smaller batch under the same id is heard.
        var (status, _) = await SendAsync(host.Client, Post("""{"events":[{"e":"pv"}]}""", batchId: "too-big-for-the-ring"));
        Assert.Equal(200, status);
    }

    private static byte[] GzipOfZeros(long bytes)
    {
        var zeros = new byte[1 << 20];
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            for (long written = 0; written < bytes; written += zeros.Length)
            {
                gzip.Write(zeros);
            }
        }

        return output.ToArray();
    }
}
