using Beacon.Collector.Buffering;
using Beacon.Router.Sinks;
using Microsoft.Extensions.Options;

namespace Beacon.Collector.Admin;

/// <summary>
/// Whether this replica should get traffic: not while draining, not while its sink is down with a
/// full spool, not while its ring is so full that page views are being shed.
/// </summary>
public sealed class CollectorHealth(BeaconRing ring, IRecordSink sink, IOptions<RingOptions> ringOptions)
{
    private readonly long _saturatedAt = (long)(ring.Capacity * ringOptions.Value.ShedP1At);
    private volatile bool _draining;

    public bool IsDraining => _draining;

    public bool IsRingSaturated => ring.Count >= _saturatedAt;

    public bool IsSinkReady => sink.IsReady;

    public bool IsReady => !_draining && IsSinkReady && !IsRingSaturated;

    /// <summary>Why not ready, for the probe's body and a human reading it.</summary>
    public string Describe() => IsReady
        ? "ready"
        : "not ready:" + (_draining ? " draining" : "") + (IsSinkReady ? "" : " sink down and spool full") + (IsRingSaturated ? " ring saturated" : "");

    internal void MarkDraining() => _draining = true;
}
