using Beacon.Parser.Model;
using Beacon.Router.Routing;

namespace Beacon.Router.Rules;

/// <summary>
/// The scope fields of the last few thousand events, so a dry run can say how many recent events a
/// proposed rule would have matched. Values are copied into a fixed arena (no allocation per event);
/// a value longer than <see cref="FieldBytes"/> is cut, and so will not match a rule naming it in full.
/// </summary>
public sealed class RecentEvents
{
    public const int FieldBytes = 64;
    private const int Fields = 4; // app, platform, event, sdk
    private readonly Lock _gate = new();
    private readonly int _capacity;
    private readonly byte[] _arena;
    private readonly byte[] _lengths;
    private readonly BusinessRoute?[] _routes;
    private readonly Guid[] _devices;
    private long _count;

    public RecentEvents(int capacity = 8192)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
        _arena = new byte[capacity * Fields * FieldBytes];
        _lengths = new byte[capacity * Fields];
        _routes = new BusinessRoute?[capacity];
        _devices = new Guid[capacity];
    }

    public void Record(BeaconEvent evt, BusinessRoute route)
    {
        ArgumentNullException.ThrowIfNull(evt);
        lock (_gate)
        {
            var slot = (int)(_count++ % _capacity);
            Copy(slot, 0, evt.App);
            Copy(slot, 1, evt.Platform);
            Copy(slot, 2, evt.EventType);
            Copy(slot, 3, evt.Sdk);
            _routes[slot] = route;
            _devices[slot] = evt.VisitorId;
        }
    }

    /// <summary>Runs <paramref name="rules"/> over the kept events as of <paramref name="nowMs"/>: what each rule would decide.</summary>
    public RuleDryRun DryRun(RuleSet rules, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var result = new RuleDryRun(rules);
        Span<byte> device = stackalloc byte[32];
        lock (_gate)
        {
            var count = (int)Math.Min(_count, _capacity);
            for (var slot = 0; slot < count; slot++)
            {
                _devices[slot].TryFormat(device, out _, "N");
                var decision = rules.Evaluate(Field(slot, 0), Field(slot, 1), Field(slot, 2), _routes[slot]!.Name, Field(slot, 3), nowMs, device);
                result.Count(decision);
            }
        }

        return result;
    }

    private void Copy(int slot, int field, ReadOnlySpan<byte> value)
    {
        var length = Math.Min(value.Length, FieldBytes);
        value[..length].CopyTo(_arena.AsSpan(((slot * Fields) + field) * FieldBytes));
        _lengths[(slot * Fields) + field] = (byte)length;
    }

    private ReadOnlySpan<byte> Field(int slot, int field) =>
        _arena.AsSpan(((slot * Fields) + field) * FieldBytes, _lengths[(slot * Fields) + field]);
}
