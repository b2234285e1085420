using System.Diagnostics;
using System.Net;
using Beacon.Collector.Tests.Diagnostics;
using Beacon.Collector.Tests.Hosting;
using Beacon.Parser.Decoding;

namespace Beacon.Collector.Tests.Admin;

public sealed class AdminServerTests
{
    [Fact]
    public async Task Metrics_are_served_on_the_admin_port_only_and_count_what_happened()
    {
        await using var host = await CollectorHost.StartAsync();
        for (var n = 0; n < 20; n++)
        {
            using var pixel = await host.Client.GetAsync($"/b.gif?e={(n % 2 == 0 ? "order" : "pv")}&n={n}");
        }

        using var bad = await host.Client.GetAsync("/b.gif?a=no-event");
        await WaitUntilAsync(async () => (await host.Admin.GetStringAsync("/metrics")).Contains("beacon_events_rejected_total{reason=\"missing_event_type\"} 1", StringComparison.Ordinal));

        using var response = await host.Admin.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        using var publicMetrics = await host.Client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal(HttpStatusCode.NotFound, publicMetrics.StatusCode);
        Assert.Empty(ExpositionFormat.Problems(text));
        Assert.Contains("beacon_ring_admitted_total 21\n", text, StringComparison.Ordinal);
        Assert.Contains("beacon_events_routed_total{priority=\"p0\",route=\"order\"} 10\n", text, StringComparison.Ordinal);
        Assert.Contains("beacon_events_routed_total{priority=\"p1\",route=\"pageview\"} 10\n", text, StringComparison.Ordinal);
        Assert.Contains("beacon_pipeline_record_duration_seconds_count 21\n", text, StringComparison.Ordinal);
        Assert.Contains("beacon_event_latency_seconds_count 21\n", text, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds_count{", text, StringComparison.Ordinal);
        Assert.Contains("http_route=\"/b.gif\"", text, StringComparison.Ordinal);
        Assert.Contains("dotnet_gc_collections_total", text, StringComparison.Ordinal);
        Assert.Contains("dotnet_process_cpu_time_seconds_total", text, StringComparison.Ordinal);
        Assert.Contains("beacon_ready 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_real_scrape_passes_promtool()
    {
        await using var host = await CollectorHost.StartAsync();
        using var pixel = await host.Client.GetAsync("/b.gif?e=pv");
        var scrape = Path.GetTempFileName();
        await File.WriteAllTextAsync(scrape, await host.Admin.GetStringAsync("/metrics"));

        // promtool comes with Debian's prometheus package, which test.sh installs.
        var check = Process.Start(new ProcessStartInfo("sh", ["-c", $"promtool check metrics < {scrape}"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await check.StandardOutput.ReadToEndAsync() + await check.StandardError.ReadToEndAsync();
        await check.WaitForExitAsync();
        File.Delete(scrape);

        Assert.True(check.ExitCode == 0, output);
    }

    [Fact]
    public async Task Probes_answer_on_both_ports_and_sink_health_on_the_admin_port()
    {
        await using var host = await CollectorHost.StartAsync();

        Assert.Equal("ok\n", await host.Admin.GetStringAsync("/healthz"));
        Assert.Equal("ready\n", await host.Admin.GetStringAsync("/readyz"));
        Assert.Equal("ready\n", await host.Client.GetStringAsync("/readyz"));
        Assert.Equal("ok\n", await host.Admin.GetStringAsync("/sink-health"));
    }

    [Fact]
    public async Task After_sigterm_readiness_turns_false_while_pixels_are_still_served_for_the_drain_delay()
    {
        await using var host = await CollectorHost.StartAsync(new Dictionary<string, string?> { ["Beacon:Drain:Delay"] = "00:00:05" });

        // What SIGTERM leads to: the lifetime's stop, then the host's StopAsync.
        host.RequestStop();
        var stopping = host.StopAsync();
        await WaitUntilAsync(async () => (await host.Admin.GetAsync("/readyz")).StatusCode == HttpStatusCode.ServiceUnavailable);
        using var readyz = await host.Client.GetAsync("/readyz");
        using var pixel = await host.Client.GetAsync("/b.gif?e=pv&n=during-drain");
        await stopping;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, readyz.StatusCode);
        Assert.Contains("draining", await readyz.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, pixel.StatusCode);
        Assert.Single(host.ReadTopic("beacon.p1"));
    }

    [Fact]
    public async Task User_agents_over_the_miss_budget_are_recorded_raw_without_ua_and_counted_in_metrics()
    {
        await using var host = await CollectorHost.StartAsync(new Dictionary<string, string?> { ["Beacon:Parser:UserAgentMissesPerSecond"] = "1" });

        // Ten distinct User-Agents against a budget of one parse a second (one saved up): the first is parsed, most are not.
        for (var i = 0; i < 10; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/b.gif?e=pv&n={i}");
            request.Headers.TryAddWithoutValidation("User-Agent", $"Mozilla/5.0 (X11; Linux x86_64; rv:{i}.0) Gecko/20100101 Firefox/{i}.0");
            using var response = await host.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await WaitUntilAsync(async () => (await host.Admin.GetStringAsync("/metrics")).Contains("beacon_events_routed_total{priority=\"p1\",route=\"pageview\"} 10\n", StringComparison.Ordinal));
        var metrics = await host.Admin.GetStringAsync("/metrics");
        await host.StopAsync();

        var records = host.ReadTopic("beacon.p1");
        Assert.Equal(10, records.Count);
        Assert.All(records, static r => Assert.StartsWith("Mozilla/5.0 (X11; Linux x86_64; rv:", r.GetProperty("user_agent").GetString(), StringComparison.Ordinal));
        Assert.Equal("Firefox", records.Single(static r => r.GetProperty("props").GetProperty("n").GetString() == "0").GetProperty("ua").GetProperty("browser").GetString());
        var unparsed = records.Count(static r => !r.TryGetProperty("ua", out _));
        Assert.InRange(unparsed, 1, 9);
        Assert.Equal(unparsed, host.Services.GetRequiredService<BeaconDecoder>().UnparsedUserAgents);
        Assert.Contains($"beacon_user_agents_unparsed_total {unparsed}\n", metrics, StringComparison.Ordinal);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1), "condition not met within a minute");
            await Task.Delay(50);
        }
    }
}
