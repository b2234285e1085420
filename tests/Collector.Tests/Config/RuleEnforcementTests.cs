using System.Globalization;
using System.Text;
using Beacon.Collector.Tests.Hosting;
using Beacon.Router.Rules;
using static Beacon.Collector.Tests.Config.RulesAdminApiTests;

namespace Beacon.Collector.Tests.Config;

/// <summary>Rules pushed through the admin API, enforced by the running pipeline on real pixels.</summary>
public sealed class RuleEnforcementTests
{
    [Fact]
    public async Task A_sample_rule_keeps_exactly_the_sampled_in_devices_and_records_the_rate()
    {
        await using var host = await CollectorHost.StartAsync();
        (await Put(host, """{"rules":[{"id":"half-pv","action":"sample","rate":0.5,"scope":{"event":["pv"]}}]}""")).Dispose();
        var visitors = Enumerable.Range(1, 400).Select(static i => i.ToString("x32", CultureInfo.InvariantCulture)).ToList();

        foreach (var visitor in visitors)
        {
            await Pixel(host, "e=pv&a=shop&v=" + visitor, visitor);
            await Pixel(host, "e=click&a=shop&v=" + visitor, visitor); // not in the rule's scope
        }

        var expected = visitors.Where(static v => DeviceSampler.Keeps("half-pv"u8, Encoding.ASCII.GetBytes(v), 0.5)).ToHashSet();
        var records = await WaitForRecordsAsync(host, "beacon.p1", expected.Count + visitors.Count);
        var views = records.Where(static r => r.GetProperty("event").GetString() == "pv").ToList();
        Assert.Equal(expected.Order(), views.Select(static r => r.GetProperty("visitor_id").GetString()!).Order());
        Assert.All(views, static r => Assert.Equal(0.5, r.GetProperty("sample_rate").GetDouble()));
        Assert.All(records.Where(static r => r.GetProperty("event").GetString() == "click"), static r => Assert.Equal(1.0, r.GetProperty("sample_rate").GetDouble()));

        var metrics = await host.Admin.GetStringAsync("/metrics");
        Assert.Contains($"beacon_rule_events_total{{outcome=\"sampled_out\",rule=\"half-pv\"}} {visitors.Count - expected.Count}\n", metrics, StringComparison.Ordinal);
        Assert.Contains($"beacon_rule_matched_total{{rule=\"half-pv\"}} {visitors.Count}\n", metrics, StringComparison.Ordinal);
        Assert.Contains("beacon_config_version 1\n", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_drop_rule_drops_its_scope_and_nothing_else()
    {
        await using var host = await CollectorHost.StartAsync();
        (await Put(host, """{"rules":[{"id":"no-perf","action":"drop","scope":{"route":["perf"]}}]}""")).Dispose();

        for (var i = 0; i < 20; i++)
        {
            await Pixel(host, $"e=perf&n={i}");
            await Pixel(host, $"e=order&n={i}");
        }

        await WaitForRecordsAsync(host, "beacon.p0", 20);
        await host.StopAsync();
        Assert.Empty(host.ReadTopic("beacon.p3"));
        Assert.Equal(20, host.ReadTopic("beacon.p0").Count);
    }

    [Fact]
    public async Task Held_records_are_deferred_and_all_released_in_order_when_the_hold_is_lifted()
    {
        await using var host = await CollectorHost.StartAsync(new Dictionary<string, string?> { ["Beacon:Rules:Hold:ReleaseRecordsPerSecond"] = "500" });
        (await Put(host, """{"rules":[{"id":"hold-exposure","action":"hold","scope":{"route":["exposure"]}}]}""")).Dispose();

        for (var i = 0; i < 300; i++)
        {
            await Pixel(host, $"e=exp&n={i}");
            await Pixel(host, $"e=pv&n={i}");
        }

        await WaitForRecordsAsync(host, "beacon.p1", 300);
        Assert.Empty(host.ReadTopic("beacon.p2"));
        Assert.True(Directory.Exists(Path.Combine(host.DataDirectory, "held", "hold-exposure")));

        (await Put(host, """{"rules":[]}""")).Dispose();

        var released = await WaitForRecordsAsync(host, "beacon.p2", 300);
        Assert.Equal(Enumerable.Range(0, 300).Select(static i => i.ToString(CultureInfo.InvariantCulture)),
            released.Select(static r => r.GetProperty("props").GetProperty("n").GetString()));
        var metrics = await host.Admin.GetStringAsync("/metrics");
        Assert.Contains("beacon_rule_events_total{outcome=\"held\",rule=\"hold-exposure\"} 300\n", metrics, StringComparison.Ordinal);
        Assert.Contains("beacon_rule_events_total{outcome=\"released\",rule=\"hold-exposure\"} 300\n", metrics, StringComparison.Ordinal);
    }

    private static async Task Pixel(CollectorHost host, string query, string? visitor = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/b.gif?" + query);
        if (visitor is not null)
        {
            request.Headers.Add("Cookie", "bid=" + visitor);
        }

        using var response = await host.Client.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }

    private static async Task<IReadOnlyList<System.Text.Json.JsonElement>> WaitForRecordsAsync(CollectorHost host, string topic, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var records = Directory.Exists(Path.Combine(host.DataDirectory, topic)) ? host.ReadTopic(topic) : [];
            if (records.Count >= count)
            {
                Assert.Equal(count, records.Count);
                return records;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{topic} has {records.Count} of {count} records after 60 s");
            await Task.Delay(50);
        }
    }
}
