using Beacon.Router.Sinks.Kafka;

namespace Beacon.Collector.Tools;

/// <summary>
/// <c>mock-kafka [--brokers N]</c>: starts librdkafka's mock cluster (the real Kafka protocol on
/// loopback) and prints its bootstrap servers, so the Kafka path can be tried with no Kafka
/// installed. Runs until Ctrl+C; its data lives in memory only.
/// </summary>
internal static class MockKafkaCommand
{
    public static int Run(string[] args)
    {
        var brokers = 3;
        var at = Array.IndexOf(args, "--brokers");
        if (at >= 0 && (at + 1 >= args.Length || !int.TryParse(args[at + 1], out brokers) || brokers < 1))
        {
            Console.Error.WriteLine("usage: mock-kafka [--brokers N]");
            return 2;
        }

        using var cluster = new KafkaMockCluster(brokers);
        using var stop = new ManualResetEventSlim();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Set();
        };
        using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
            {
                context.Cancel = true;
                stop.Set();
            });

        Console.WriteLine(cluster.BootstrapServers);
        Console.Error.WriteLine("mock Kafka cluster running (topics are auto-created); Ctrl+C or SIGTERM stops it");
        stop.Wait();
        return 0;
    }
}
