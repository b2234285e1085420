namespace Beacon.Router.Rules;

/// <summary>
/// Deterministic sampling: a device is in or out of a rule's sample by a hash of the rule id and the
/// device id, so a sampled-in device stays in (its funnels stay whole) and the JS tracker can decide
/// the same way before sending. FNV-1a 32 over <c>ruleId ":" deviceId</c>, then murmur3's finaliser
/// to spread similar ids. docs/protocol.md gives the algorithm for SDK authors.
/// </summary>
public static class DeviceSampler
{
    private const uint OffsetBasis = 2166136261;
    private const uint Prime = 16777619;

    public static uint Hash(ReadOnlySpan<byte> ruleId, ReadOnlySpan<byte> deviceId)
    {
        var h = OffsetBasis;
        foreach (var b in ruleId)
        {
            h = (h ^ b) * Prime;
        }

        h = (h ^ (byte)':') * Prime;
        foreach (var b in deviceId)
        {
            h = (h ^ b) * Prime;
        }

        h ^= h >> 16;
        h *= 0x85ebca6b;
        h ^= h >> 13;
        h *= 0xc2b2ae35;
        h ^= h >> 16;
        return h;
    }

    /// <summary>Whether the device is in the kept <paramref name="rate"/> (0..1) of the rule's sample.</summary>
    public static bool Keeps(ReadOnlySpan<byte> ruleId, ReadOnlySpan<byte> deviceId, double rate) =>
        rate >= 1.0 || (rate > 0.0 && Hash(ruleId, deviceId) < rate * 4294967296.0);
}
