using System.Runtime.InteropServices;
using Beacon.Router.Routing;
using Beacon.Router.Sinks.Kafka;

namespace Beacon.Collector.Tools;

/// <summary>
/// <c>mock-kafka [--brokers N] [--partitions N]</c>: starts librdkafka's mock cluster (the real Kafka
/// protocol on loopback), creates Beacon's default topics and prints the bootstrap servers, so the
/// Kafka path can be tried with no Kafka installed. Runs until Ctrl+C or SIGTERM; data lives in
/// memory, and the mock forgets a partition's oldest data past a few MiB: give load tests many partitions.
/// </summary>
internal static class MockKafkaCommand
{
    public static int Run(string[] args)
    {
        if (!TryOption(args, "--brokers", 3, out var brokers) || !TryOption(args, "--partitions", 4, out var partitions))
        {
            Console.Error.WriteLine("usage: mock-kafka [--brokers N] [--partitions N]");
            return 2;
        }

        using var cluster = new KafkaMockCluster(brokers);
        var table = new RouteTable(new RouteTableOptions());
        foreach (var topic in table.Topics)
        {
            cluster.CreateTopic(topic, partitions);
        }

        // Rule versions are ordered by one partition (and the mock broker cannot compact: every version stays).
        cluster.CreateTopic(table.ConfigTopic, 1);

        using var stop = new ManualResetEventSlim();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Set();
        };
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Set();
        });

        Console.WriteLine(cluster.BootstrapServers);
        Console.Error.WriteLine($"mock Kafka cluster: {brokers} brokers, topics {string.Join(' ', table.Topics)} ({partitions} partitions each) and {table.ConfigTopic} (1 partition); Ctrl+C or SIGTERM stops it");
        stop.Wait();
        return 0;
    }

    private static bool TryOption(string[] args, string name, int fallback, out int value)
    {
        value = fallback;
        var at = Array.IndexOf(args, name);
        return at < 0 || (at + 1 < args.Length && int.TryParse(args[at + 1], out value) && value >= 1);
    }
}
