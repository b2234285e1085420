using System.Globalization;
using System.Text;
using Beacon.Router.Records;
using Confluent.Kafka;

namespace Beacon.Router.Sinks.Kafka;

/// <summary>The headers every record carries, so consumers can route and re-weight without parsing JSON.</summary>
public static class KafkaHeaders
{
    public const string Schema = "beacon.schema";
    public const string Route = "beacon.route";
    public const string Priority = "beacon.priority";
    public const string SampleRate = "beacon.sample_rate";

    private static readonly byte[] SchemaValue = Encoding.ASCII.GetBytes(RecordWriter.SchemaVersion.ToString(CultureInfo.InvariantCulture));
    private static readonly byte[][] PriorityValues = [.. Enum.GetValues<Routing.Priority>().Select(static p => Encoding.ASCII.GetBytes($"p{(int)p}"))];
    private static readonly byte[] FullSample = "1"u8.ToArray();

    internal static Headers Create(Routing.Priority priority, string route, double sampleRate) =>
    [
        new Header(Schema, SchemaValue),
        new Header(Route, Encoding.UTF8.GetBytes(route)),
        new Header(Priority, PriorityValues[(int)priority]),
        new Header(SampleRate, sampleRate == 1.0 ? FullSample : Encoding.ASCII.GetBytes(sampleRate.ToString("R", CultureInfo.InvariantCulture))),
    ];
}
