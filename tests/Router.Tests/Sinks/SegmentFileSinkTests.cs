using System.Diagnostics.Metrics;
using System.Text;
using Beacon.Router.Routing;
using Beacon.Router.Segments;
using Beacon.Router.Sinks;
using static Beacon.Router.Tests.Segments.SegmentFiles;

namespace Beacon.Router.Tests.Sinks;

public sealed class SegmentFileSinkTests : IDisposable
{
    private readonly TempDirectory _temp = new();
    private readonly ManualTimeProvider _time = new();

    public void Dispose() => _temp.Dispose();

    private string Data => _temp.Combine("data");

    [Fact]
    public void Records_for_two_topics_land_in_their_own_directories()
    {
        using (var sink = new SegmentFileSink(Data, new SegmentLogOptions(), _time))
        {
            sink.Append(new SinkRecord("beacon.p0", "v1"u8, "order-1"u8, 10, Priority.P1, "test", 1.0));
            sink.Append(new SinkRecord("beacon.p1", "v2"u8, "view-1"u8, 20, Priority.P1, "test", 1.0));
            sink.Append(new SinkRecord("beacon.p0", "v1"u8, "order-2"u8, 30, Priority.P1, "test", 1.0));
            sink.Flush(durable: false);

            var p0 = Read(SegmentFileSink.TopicDirectory(Data, "beacon.p0"));
            var p1 = Read(SegmentFileSink.TopicDirectory(Data, "beacon.p1"));

            Assert.Equal(new[] { ("v1", "order-1", 10L), ("v1", "order-2", 30L) }, p0);
            Assert.Equal(new[] { ("v2", "view-1", 20L) }, p1);
        }

        Assert.Equal(
            new[] { "beacon.p0", "beacon.p1" },
            Directory.GetDirectories(Data).Select(static d => Path.GetFileName(d)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_topic_directory_is_the_topic_name_under_the_data_directory() =>
        Assert.Equal(Path.Combine(Data, "beacon.dlq"), SegmentFileSink.TopicDirectory(Data, "beacon.dlq"));

    [Fact]
    public void The_data_directory_is_created_and_made_absolute()
    {
        using var sink = new SegmentFileSink(Data, new SegmentLogOptions(), _time);

        Assert.True(Directory.Exists(Data));
        Assert.True(Path.IsPathFullyQualified(sink.DataDirectory));
        Assert.Equal(Path.GetFullPath(Data), sink.DataDirectory);
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("")]
    public void An_invalid_topic_name_is_refused(string topic) =>
        Assert.Throws<ArgumentException>(() => SegmentFileSink.TopicDirectory(Data, topic));

    [Fact]
    public void Appending_to_an_invalid_topic_is_refused_and_writes_nothing_outside_the_data_directory()
    {
        using var sink = new SegmentFileSink(Data, new SegmentLogOptions(), _time);

        Assert.Throws<ArgumentException>(() => sink.Append(new SinkRecord("../x", "k"u8, "v"u8, 1, Priority.P1, "test", 1.0)));
        Assert.False(Directory.Exists(_temp.Combine("x")));
        Assert.Empty(Directory.GetFileSystemEntries(Data));
    }

    [Fact]
    public void Dispose_flushes_every_topic()
    {
        using (var sink = new SegmentFileSink(Data, new SegmentLogOptions(), _time))
        {
            for (var i = 0; i < 10; i++)
            {
                sink.Append(new SinkRecord("beacon.p2", Encoding.UTF8.GetBytes($"k{i}"), Encoding.UTF8.GetBytes($"v{i}"), i, Priority.P1, "test", 1.0));
                sink.Append(new SinkRecord("beacon.p3", Encoding.UTF8.GetBytes($"k{i}"), Encoding.UTF8.GetBytes($"w{i}"), i, Priority.P1, "test", 1.0));
            }
        }

        Assert.Equal(Enumerable.Range(0, 10).Select(static i => $"v{i}"), Read(SegmentFileSink.TopicDirectory(Data, "beacon.p2")).Select(static r => r.Value));
        Assert.Equal(Enumerable.Range(0, 10).Select(static i => $"w{i}"), Read(SegmentFileSink.TopicDirectory(Data, "beacon.p3")).Select(static r => r.Value));
    }

    [Fact]
    public void A_reopened_sink_appends_after_the_records_already_there()
    {
        using (var sink = new SegmentFileSink(Data, new SegmentLogOptions(), _time))
        {
            sink.Append(new SinkRecord("beacon.p1", "k"u8, "first"u8, 1, Priority.P1, "test", 1.0));
        }

        using (var sink = new SegmentFileSink(Data, new SegmentLogOptions(), _time))
        {
            sink.Append(new SinkRecord("beacon.p1", "k"u8, "second"u8, 2, Priority.P1, "test", 1.0));
        }

        var records = ReadAll(SegmentFileSink.TopicDirectory(Data, "beacon.p1"));
        Assert.Equal(new[] { 0L, 1L }, records.Select(static r => r.Number));
        Assert.Equal(new[] { "first", "second" }, records.Select(static r => Encoding.UTF8.GetString(r.Value.Span)));
    }

    [Fact]
    public void Retention_reaches_a_topic_already_on_disk_that_gets_no_new_records()
    {
        using (var sink = new SegmentFileSink(Data, new SegmentLogOptions { SegmentBytes = 100 }, _time))
        {
            for (var i = 0; i < 6; i++)
            {
                sink.Append(new SinkRecord("beacon.p3", "k"u8, "a record of about fifty bytes, with its frame"u8, i, Priority.P3, "test", 1.0));
            }
        }

        var topic = SegmentFileSink.TopicDirectory(Data, "beacon.p3");
        Assert.Equal(NamesOf(0, 2, 4), SegmentNames(topic)); // two records a segment

        // Room for the two newest segments only.
        var sizes = SegmentFormat.ListSegments(topic).Select(static path => new FileInfo(path).Length).ToList();
        using (var sink = new SegmentFileSink(Data, new SegmentLogOptions { SegmentBytes = 100, RetentionMaxBytes = sizes[1] + sizes[2], RetentionMaxAge = TimeSpan.MaxValue }, _time))
        {
            sink.Flush(durable: false);
        }

        // The oldest segment went, and the topic fits its limit again.
        Assert.Equal(NamesOf(2, 4), SegmentNames(topic));
    }

    [Fact]
    public void A_topic_on_disk_whose_newest_segment_is_not_ours_stops_the_sink_at_start_naming_the_file()
    {
        using (var sink = new SegmentFileSink(Data, new SegmentLogOptions(), _time))
        {
            sink.Append(new SinkRecord("beacon.p0", "k"u8, "order"u8, 1, Priority.P0, "test", 1.0));
            sink.Append(new SinkRecord("beacon.p1", "k"u8, "view"u8, 2, Priority.P1, "test", 1.0));
        }

        var path = Path.Combine(SegmentFileSink.TopicDirectory(Data, "beacon.p1"), SegmentFormat.FileName(0));
        var bytes = File.ReadAllBytes(path);
        bytes[4] = 2; // a later format version, e.g. after a downgrade
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<InvalidDataException>(() => new SegmentFileSink(Data, new SegmentLogOptions(), _time));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Equal(bytes, File.ReadAllBytes(path));

        // With the file moved away the sink starts, and the other topic carries on.
        File.Move(path, _temp.Combine("moved.seg"));
        using (var sink = new SegmentFileSink(Data, new SegmentLogOptions(), _time))
        {
            sink.Append(new SinkRecord("beacon.p0", "k"u8, "order-2"u8, 3, Priority.P0, "test", 1.0));
        }

        Assert.Equal(new[] { "order", "order-2" }, Read(SegmentFileSink.TopicDirectory(Data, "beacon.p0")).Select(static r => r.Value));
    }

    [Fact]
    public void Flushing_the_sink_maintains_its_logs_so_segments_roll_by_age()
    {
        var options = new SegmentLogOptions { SegmentMaxAge = TimeSpan.FromMinutes(1) };
        using var sink = new SegmentFileSink(Data, options, _time);
        var topic = SegmentFileSink.TopicDirectory(Data, "beacon.p1");

        sink.Append(new SinkRecord("beacon.p1", "k"u8, "a"u8, 1, Priority.P1, "test", 1.0));
        sink.Flush(durable: false);
        Assert.Single(SegmentFormat.ListSegments(topic));

        _time.Advance(TimeSpan.FromMinutes(2));
        sink.Flush(durable: false);

        Assert.Equal(NamesOf(0, 1), SegmentNames(topic));
        sink.Append(new SinkRecord("beacon.p1", "k"u8, "b"u8, 2, Priority.P1, "test", 1.0));
        sink.Flush(durable: false);
        Assert.Equal(new[] { "a", "b" }, Read(topic).Select(static r => r.Value));
    }

    [Fact]
    public void Waiting_records_are_acknowledged_by_the_next_flush_which_is_made_durable_for_them()
    {
        using var sink = new SegmentFileSink(Data, new SegmentLogOptions(), _time);
        var batch = new CountingAcknowledgement();
        for (var i = 0; i < 3; i++)
        {
            sink.Append(new SinkRecord("beacon.p1", "v"u8, "e"u8, i, Priority.P1, "test", 1.0) { Acknowledgement = batch });
        }

        sink.Append(new SinkRecord("beacon.p1", "v"u8, "pixel"u8, 4, Priority.P1, "test", 1.0));
        Assert.Equal(0, batch.Acknowledged);

        // Asked for a flush to the OS only, the sink fsyncs anyway: a client waits.
        sink.Flush(durable: false);

        Assert.Equal(3, batch.Acknowledged);
        Assert.Equal(0, batch.Failed);
        sink.Flush(durable: false);
        Assert.Equal(3, batch.Acknowledged);
    }

    [Fact]
    public void Flushes_maintain_the_logs_at_most_once_a_second()
    {
        var options = new SegmentLogOptions { SegmentMaxAge = TimeSpan.FromMinutes(1) };
        using var sink = new SegmentFileSink(Data, options, _time);
        var topic = SegmentFileSink.TopicDirectory(Data, "beacon.p1");
        sink.Append(new SinkRecord("beacon.p1", "k"u8, "a"u8, 1, Priority.P1, "test", 1.0));
        sink.Flush(durable: false);
        _time.Advance(TimeSpan.FromSeconds(59.5));
        sink.Flush(durable: false); // maintained: the segment is 59.5 s old, not old enough to roll

        _time.Advance(TimeSpan.FromSeconds(0.5));
        sink.Flush(durable: false); // the segment is old enough, but maintenance is not due for 0.5 s

        Assert.Single(SegmentFormat.ListSegments(topic));

        _time.Advance(TimeSpan.FromSeconds(0.5));
        sink.Flush(durable: false); // due exactly now

        Assert.Equal(NamesOf(0, 1), SegmentNames(topic));
    }

    [Fact]
    public void Each_appended_record_reports_how_long_ago_the_collector_received_it()
    {
        using var meter = new Meter("beacon.tests." + Guid.NewGuid().ToString("N"));
        var histogram = meter.CreateHistogram<double>("beacon.acknowledged");
        var seconds = new List<double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument == histogram)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, _, _) => seconds.Add(value));
        listener.Start();
        using var sink = new SegmentFileSink(Data, new SegmentLogOptions(), _time, histogram);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();

        sink.Append(new SinkRecord("beacon.p1", "k"u8, "a"u8, now - 1500, Priority.P1, "test", 1.0));
        sink.Append(new SinkRecord("beacon.p1", "k"u8, "b"u8, now, Priority.P1, "test", 1.0));

        Assert.Equal([1.5, 0.0], seconds);
    }

    private static List<(string Key, string Value, long TimestampMs)> Read(string topicDirectory) =>
        [.. ReadAll(topicDirectory).Select(static r => (Encoding.UTF8.GetString(r.Key.Span), Encoding.UTF8.GetString(r.Value.Span), r.TimestampMs))];
}
