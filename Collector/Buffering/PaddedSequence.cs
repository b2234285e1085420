using System.Runtime.InteropServices;

namespace Beacon.Collector.Buffering;

/// <summary>
/// A sequence alone on its cache line (56 bytes of padding either side, as Disruptor does), so
/// producers bumping the tail and the consumer bumping the head don't invalidate each other.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct PaddedSequence
{
    public const int ValueOffset = 56;

    [FieldOffset(ValueOffset)]
    public long Value;
}
