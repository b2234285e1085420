using System.Text;
using Beacon.Collector.Tests.Hosting;
using Beacon.Router.Rules;
using static Beacon.Collector.Tests.Batch.BatchRequests;
using static Beacon.Collector.Tests.Config.RulesAdminApiTests;

namespace Beacon.Collector.Tests.Config;

/// <summary>Rules apply to batch events as to pixels, and a batch is still answered (not left to time out) when a rule keeps nothing.</summary>
public sealed class BatchRuleTests
{
    [Fact]
    public async Task Dropped_sampled_and_held_batch_events_are_answered_200_with_the_config_version()
    {
        await using var host = await CollectorHost.StartAsync();
        (await Put(host, """
            {"rules":[{"id":"no-perf","action":"drop","scope":{"event":["perf"]}},
                      {"id":"tenth-exp","action":"sample","rate":0.1,"scope":{"event":["exp"]}},
                      {"id":"hold-clicks","action":"hold","scope":{"event":["click"]}}]}
            """)).Dispose();
        var devices = Enumerable.Range(1, 50).Select(static i => i.ToString("x32", System.Globalization.CultureInfo.InvariantCulture)).ToList();

        foreach (var device in devices)
        {
            var json = $$"""{"app":"shop","device_id":"{{device}}","events":[{"event":"perf"},{"event":"exp"},{"event":"click"},{"event":"pv"}]}""";
            using var request = Post(json);
            var (status, body) = await SendAsync(host.Client, request);

            Assert.Equal(200, status);
            Assert.Equal(4, body.GetProperty("accepted").GetInt32());
            Assert.Equal(1, body.GetProperty("config_version").GetInt64());
        }

        await host.StopAsync();
        Assert.Empty(host.ReadTopic("beacon.p3"));
        Assert.Equal(50, host.ReadTopic("beacon.p1").Count(static r => r.GetProperty("event").GetString() == "pv"));
        Assert.DoesNotContain(host.ReadTopic("beacon.p1"), static r => r.GetProperty("event").GetString() == "click"); // held
        var kept = devices.Where(static d => DeviceSampler.Keeps("tenth-exp"u8, Encoding.ASCII.GetBytes(d), 0.1)).Order().ToList();
        Assert.Equal(kept, host.ReadTopic("beacon.p2").Select(static r => r.GetProperty("visitor_id").GetString()!).Order().ToList());
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(host.DataDirectory, "held", "hold-clicks"), "*.seg"));
        Assert.Equal(50, host.Services.GetRequiredService<RuleBook>().CounterFor("hold-clicks").Held);
    }
}
