using System.Net;
using Beacon.Collector.Tests.Hosting;
using Beacon.Router.Routing;
using Beacon.Router.Sinks.Kafka;
using static Beacon.Collector.Tests.Config.RulesAdminApiTests;

namespace Beacon.Collector.Tests.Config;

/// <summary>Two collectors: a change made through one takes effect on the other within seconds.</summary>
public sealed class ReplicaConvergenceTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task With_kafka_a_change_on_one_replica_reaches_the_other_through_the_config_topic()
    {
        using var cluster = new KafkaMockCluster();
        var table = new RouteTable(new RouteTableOptions());
        foreach (var topic in table.Topics)
        {
            cluster.CreateTopic(topic, partitions: 1);
        }

        cluster.CreateTopic(table.ConfigTopic, partitions: 1);
        var settings = new Dictionary<string, string?> { ["Beacon:Kafka:BootstrapServers"] = cluster.BootstrapServers };
        await using var one = await CollectorHost.StartAsync(settings);
        await using var two = await CollectorHost.StartAsync(settings);

        using var put = await Put(one, """{"rules":[{"id":"drop-perf","action":"drop","scope":{"route":["perf"]}}]}""", ifMatch: "\"0\"");
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        await WaitForVersionAsync(two, 1);

        // The other replica enforces it, and refuses a write based on the version before it.
        using var stale = await Put(two, """{"rules":[]}""", ifMatch: "\"0\"");
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
        using var next = await Put(two, """{"rules":[]}""", ifMatch: "\"1\"");
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        await WaitForVersionAsync(one, 2);

        // A replica started later reads every version from the topic before it serves.
        await using var three = await CollectorHost.StartAsync(settings);
        var history = await Json(await three.Admin.GetAsync("/admin/rules/history"));
        Assert.Equal(2, history.GetProperty("current").GetInt64());
        Assert.Equal(3, history.GetProperty("versions").GetArrayLength());
    }

    [Fact]
    public async Task With_the_embedded_default_replicas_sharing_a_rules_directory_converge()
    {
        var rules = Path.Combine(Path.GetTempPath(), "beacon-tests", Guid.NewGuid().ToString("N"));
        var settings = new Dictionary<string, string?> { ["Beacon:Rules:Directory"] = rules, ["Beacon:Rules:PollInterval"] = "00:00:00.200" };
        try
        {
            await using var one = await CollectorHost.StartAsync(settings);
            await using var two = await CollectorHost.StartAsync(settings);

            using var put = await Put(one, """{"rules":[{"id":"a","action":"drop"}]}""");
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);

            await WaitForVersionAsync(two, 1);
        }
        finally
        {
            Directory.Delete(rules, recursive: true);
        }
    }

    /// <summary>Waits for the replica's public answers to carry the version, as clients see it.</summary>
    private static async Task WaitForVersionAsync(CollectorHost host, long version)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            using var response = await host.Client.GetAsync("/v1/config");
            if (response.Headers.GetValues("X-Beacon-Config-Version").Single() == version.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"the replica did not reach version {version} within {Patience.TotalSeconds} s");
            await Task.Delay(100);
        }
    }
}
