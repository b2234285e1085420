using System.Diagnostics.Metrics;
using Beacon.Collector.Diagnostics;

namespace Beacon.Collector.Tests.Diagnostics;

public sealed class PrometheusExporterTests : IDisposable
{
    private readonly Meter _meter = new("Beacon.Tests." + Guid.NewGuid().ToString("N"));
    private readonly PrometheusExporter _exporter;

    public PrometheusExporterTests() => _exporter = new PrometheusExporter([_meter.Name]);

    public void Dispose()
    {
        _exporter.Dispose();
        _meter.Dispose();
    }

    [Fact]
    public void A_counter_is_summed_per_label_set_and_named_total()
    {
        var counter = _meter.CreateCounter<long>("shop.orders", "{order}", "Orders placed.");
        counter.Add(2, new KeyValuePair<string, object?>("app", "web"));
        counter.Add(3, new KeyValuePair<string, object?>("app", "web"));
        counter.Add(1, new KeyValuePair<string, object?>("app", "ios"));

        var text = _exporter.Scrape();

        Assert.Contains("# HELP shop_orders_total Orders placed.\n# TYPE shop_orders_total counter\n", text, StringComparison.Ordinal);
        Assert.Contains("shop_orders_total{app=\"ios\"} 1\nshop_orders_total{app=\"web\"} 5\n", text, StringComparison.Ordinal);
        Assert.Empty(ExpositionFormat.Problems(text));
    }

    [Fact]
    public void Observable_instruments_are_read_at_scrape_time()
    {
        var value = 7;
        _meter.CreateObservableGauge("queue.depth", () => value, "{item}", "Items queued.");
        _meter.CreateObservableCounter("bytes.sent", () => 1024L, "By", "Bytes sent.");

        Assert.Contains("queue_depth 7\n", _exporter.Scrape(), StringComparison.Ordinal);
        value = 9;
        var text = _exporter.Scrape();

        Assert.Contains("# TYPE queue_depth gauge\nqueue_depth 9\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE bytes_sent_bytes_total counter\nbytes_sent_bytes_total 1024\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_histogram_has_cumulative_buckets_from_its_advice_then_sum_and_count()
    {
        var histogram = _meter.CreateHistogram("request.duration", "s", "How long requests take.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 1] });
        histogram.Record(0.05);
        histogram.Record(0.1);
        histogram.Record(0.5);
        histogram.Record(3);

        var text = _exporter.Scrape();

        Assert.Contains(
            "# TYPE request_duration_seconds histogram\n" +
            "request_duration_seconds_bucket{le=\"0.1\"} 2\n" +
            "request_duration_seconds_bucket{le=\"1\"} 3\n" +
            "request_duration_seconds_bucket{le=\"+Inf\"} 4\n" +
            "request_duration_seconds_sum 3.65\n" +
            "request_duration_seconds_count 4\n", text, StringComparison.Ordinal);
        Assert.Empty(ExpositionFormat.Problems(text));
    }

    [Fact]
    public void Label_values_are_escaped_and_label_names_sanitised()
    {
        var counter = _meter.CreateCounter<long>("odd.labels");
        counter.Add(1, new KeyValuePair<string, object?>("http.route", "a\"b\\c\nd"));

        var text = _exporter.Scrape();

        Assert.Contains("odd_labels_total{http_route=\"a\\\"b\\\\c\\nd\"} 1\n", text, StringComparison.Ordinal);
        Assert.Empty(ExpositionFormat.Problems(text));
    }

    [Fact]
    public void An_up_down_counter_is_a_gauge_of_its_running_sum()
    {
        var counter = _meter.CreateUpDownCounter<int>("connections.active", "{connection}");
        counter.Add(5);
        counter.Add(-2);

        Assert.Contains("# TYPE connections_active gauge\nconnections_active 3\n", _exporter.Scrape(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_gauge_named_like_a_histogram_part_gets_a_value_suffix()
    {
        _meter.CreateObservableUpDownCounter("assembly.count", () => 3);

        Assert.Contains("# TYPE assembly_count_value gauge\nassembly_count_value 3\n", _exporter.Scrape(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http.server.request.duration", "s", false, "http_server_request_duration_seconds")]
    [InlineData("dotnet.process.cpu.time", "s", true, "dotnet_process_cpu_time_seconds_total")]
    [InlineData("beacon.spool.size", "By", false, "beacon_spool_size_bytes")]
    [InlineData("beacon.ring.shed", "{record}", true, "beacon_ring_shed_total")]
    [InlineData("kestrel.active-connections", null, false, "kestrel_active_connections")]
    [InlineData("beacon.records_total", "{record}", true, "beacon_records_total")]
    [InlineData("io.wait_seconds", "s", false, "io_wait_seconds")]
    public void Names_follow_prometheus_conventions(string name, string? unit, bool counter, string expected)
    {
        Assert.Equal(expected, PrometheusExporter.PrometheusName(name, unit, counter));
    }

    [Fact]
    public void Instruments_of_other_meters_are_not_exported()
    {
        using var other = new Meter("Somebody.Else." + Guid.NewGuid().ToString("N"));
        other.CreateCounter<long>("secret.count").Add(1);

        Assert.DoesNotContain("secret_count", _exporter.Scrape(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_tag_set_seen_before_is_recorded_without_allocating_and_in_any_order_lands_in_one_series()
    {
        var histogram = _meter.CreateHistogram("http.duration", "s", "Request time.", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1] });
        var method = new KeyValuePair<string, object?>("http.request.method", "GET");
        var route = new KeyValuePair<string, object?>("http.route", "/b.gif");
        histogram.Record(0.05, method, route);
        histogram.Record(0.05, route, method); // same tags, other order
        histogram.Record(0.5, method, new KeyValuePair<string, object?>("http.route", "/v1/batch"));

        var rounds = new long[3]; // some round allocates nothing: a runtime hiccup may allocate once
        for (var round = 0; round < rounds.Length; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 1000; i++)
            {
                histogram.Record(0.05, method, route);
            }

            rounds[round] = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        var text = _exporter.Scrape();
        Assert.True(rounds.Min() == 0, $"bytes allocated per 1000 measurements, by round: {string.Join(", ", rounds)}");
        Assert.Contains("http_duration_seconds_count{http_request_method=\"GET\",http_route=\"/b.gif\"} 3002\n", text, StringComparison.Ordinal);
        Assert.Contains("http_duration_seconds_count{http_request_method=\"GET\",http_route=\"/v1/batch\"} 1\n", text, StringComparison.Ordinal);
        Assert.Empty(ExpositionFormat.Problems(text));
    }

    [Fact]
    public void Help_text_is_escaped_and_a_label_name_never_starts_with_a_digit()
    {
        var counter = _meter.CreateCounter<long>("odd.help", unit: null, description: "First line,\nsecond \\ line.");
        counter.Add(1, new KeyValuePair<string, object?>("2xx", "yes"));

        var text = _exporter.Scrape();

        Assert.Contains("# HELP odd_help_total First line,\\nsecond \\\\ line.\n", text, StringComparison.Ordinal);
        Assert.Contains("odd_help_total{_2xx=\"yes\"} 1\n", text, StringComparison.Ordinal);
        Assert.Empty(ExpositionFormat.Problems(text));
    }

    [Fact]
    public void An_instrument_measured_only_with_labels_has_no_unlabelled_series()
    {
        _meter.CreateCounter<long>("labelled.only").Add(4, new KeyValuePair<string, object?>("app", "web"));
        _meter.CreateCounter<long>("never.measured");

        var text = _exporter.Scrape();

        Assert.Contains("labelled_only_total{app=\"web\"} 4\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("labelled_only_total 0", text, StringComparison.Ordinal);
        Assert.DoesNotContain("never_measured_total 0", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_instruments_of_a_disposed_meter_leave_the_scrape()
    {
        _meter.CreateCounter<long>("short.lived").Add(1);
        Assert.Contains("short_lived_total 1\n", _exporter.Scrape(), StringComparison.Ordinal);

        _meter.Dispose();

        Assert.DoesNotContain("short_lived", _exporter.Scrape(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unscoped_exporter_ignores_a_meter_made_by_a_meter_factory()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var scoped = services.GetRequiredService<IMeterFactory>().Create(_meter.Name);
        scoped.CreateCounter<long>("other.host.requests").Add(1);
        _meter.CreateCounter<long>("own.requests").Add(1);

        var text = _exporter.Scrape();

        Assert.Contains("own_requests_total 1\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("other_host_requests", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_seconds_histogram_without_advice_gets_sub_millisecond_buckets()
    {
        _meter.CreateHistogram<double>("work.time", "s").Record(0.0003);

        var text = _exporter.Scrape();

        Assert.Contains("work_time_seconds_bucket{le=\"0.0005\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("work_time_seconds_bucket{le=\"10\"} 1\nwork_time_seconds_bucket{le=\"+Inf\"} 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void An_infinite_gauge_is_written_as_prometheus_spells_it()
    {
        _meter.CreateObservableGauge("headroom", () => double.PositiveInfinity);
        _meter.CreateObservableGauge("floor", () => double.NegativeInfinity);

        var text = _exporter.Scrape();

        Assert.Contains("headroom +Inf\n", text, StringComparison.Ordinal);
        Assert.Contains("floor -Inf\n", text, StringComparison.Ordinal);
        Assert.Empty(ExpositionFormat.Problems(text));
    }
}
