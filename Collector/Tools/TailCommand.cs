using Beacon.Collector.Hosting;
using Beacon.Router.Routing;
using Beacon.Router.Segments;
using Beacon.Router.Sinks;

namespace Beacon.Collector.Tools;

/// <summary>
/// <c>tail TOPIC [--follow]</c>: prints a topic's records from the embedded sink as JSON lines,
/// oldest first, so a new user sees their events land.
/// </summary>
internal static class TailCommand
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    public static int Run(string[] args, IConfiguration configuration)
    {
        var topic = args.FirstOrDefault(static a => !a.StartsWith('-'));
        var follow = args.Any(static a => a is "-f" or "--follow");
        if (topic is null || !TopicNames.IsValid(topic))
        {
            Console.Error.WriteLine("usage: tail TOPIC [--follow]   e.g. tail beacon.p1");
            return 2;
        }

        var dataDirectory = configuration[$"{BeaconOptions.Section}:{nameof(BeaconOptions.DataDirectory)}"] ?? new BeaconOptions().DataDirectory;
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        using var cursor = new SegmentCursor(SegmentFileSink.TopicDirectory(Path.GetFullPath(dataDirectory), topic));
        using var stdout = Console.OpenStandardOutput();
        while (!cancel.IsCancellationRequested)
        {
            while (cursor.TryRead(out var record))
            {
                stdout.Write(record.Value.Span);
                stdout.WriteByte((byte)'\n');
            }

            stdout.Flush();
            if (!follow)
            {
                break;
            }

            cancel.Token.WaitHandle.WaitOne(PollInterval);
        }

        if (cursor.SkippedTornBytes > 0)
        {
            Console.Error.WriteLine($"skipped {cursor.SkippedTornBytes} bytes of torn records");
        }

        return 0;
    }
}
