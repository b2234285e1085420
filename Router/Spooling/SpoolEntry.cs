using System.Buffers.Binary;
using System.Text;
using Beacon.Router.Sinks;

namespace Beacon.Router.Spooling;

/// <summary>
/// A spooled record's value: <c>uint8 routeLength | route | float64 sampleRate | value</c>, so a replay
/// restores the Kafka headers. Topic and priority are the lane's; key and timestamp the frame's.
/// </summary>
internal static class SpoolEntry
{
    public static int Size(in SinkRecord record) => 1 + Encoding.UTF8.GetByteCount(record.Route) + sizeof(double) + record.Value.Length;

    public static void Write(in SinkRecord record, Span<byte> destination)
    {
        var routeLength = Encoding.UTF8.GetBytes(record.Route, destination[1..]);
        destination[0] = checked((byte)routeLength);
        var rest = destination[(1 + routeLength)..];
        BinaryPrimitives.WriteDoubleLittleEndian(rest, record.SampleRate);
        record.Value.CopyTo(rest[sizeof(double)..]);
    }

    public static bool TryRead(ReadOnlySpan<byte> entry, out string route, out double sampleRate, out ReadOnlySpan<byte> value)
    {
        route = "";
        sampleRate = 0;
        value = default;
        if (entry.IsEmpty || entry.Length < 1 + entry[0] + sizeof(double))
        {
            return false;
        }

        route = Encoding.UTF8.GetString(entry.Slice(1, entry[0]));
        var rest = entry[(1 + entry[0])..];
        sampleRate = BinaryPrimitives.ReadDoubleLittleEndian(rest);
        value = rest[sizeof(double)..];
        return true;
    }
}
