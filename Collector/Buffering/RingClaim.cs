namespace Beacon.Collector.Buffering;

/// <summary>A slot a producer has claimed and must publish.</summary>
public readonly record struct RingClaim(long Position, RingSlot Slot);
