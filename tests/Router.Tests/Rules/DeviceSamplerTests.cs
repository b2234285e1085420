using System.Text;
using Beacon.Router.Rules;

namespace Beacon.Router.Tests.Rules;

public sealed class DeviceSamplerTests
{
    [Fact]
    public void The_hash_is_the_documented_one_so_sdks_can_decide_the_same_way()
    {
        // Computed independently (FNV-1a 32 + murmur3 fmix32) for docs/protocol.md's example.
        Assert.Equal(750931100u, DeviceSampler.Hash("shed-exposure"u8, "0123456789abcdef0123456789abcdef"u8));
        Assert.Equal(4236151946u, DeviceSampler.Hash("a"u8, ""u8));
    }

    [Fact]
    public void The_same_device_always_gets_the_same_decision()
    {
        foreach (var device in Devices(1000))
        {
            var first = DeviceSampler.Keeps("half"u8, device, 0.5);
            for (var i = 0; i < 5; i++)
            {
                Assert.Equal(first, DeviceSampler.Keeps("half"u8, device, 0.5));
            }
        }
    }

    [Theory]
    [InlineData(0.01)]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void The_kept_fraction_over_many_devices_is_the_rate(double rate)
    {
        const int n = 100_000;
        var kept = Devices(n).Count(d => DeviceSampler.Keeps("shed-exposure"u8, d, rate));

        // Five standard deviations of a binomial: fails only if the hash is biased.
        var sigma = Math.Sqrt(n * rate * (1 - rate));
        Assert.InRange(kept, (n * rate) - (5 * sigma), (n * rate) + (5 * sigma));
    }

    [Fact]
    public void A_device_in_a_small_sample_is_also_in_a_larger_one_of_the_same_rule()
    {
        // Raising a rule's rate after a peak only adds devices: nobody who was in drops out.
        foreach (var device in Devices(5000).Where(d => DeviceSampler.Keeps("r"u8, d, 0.1)))
        {
            Assert.True(DeviceSampler.Keeps("r"u8, device, 0.5));
        }
    }

    [Fact]
    public void Different_rules_sample_independent_sets_of_devices()
    {
        var devices = Devices(100_000);
        var both = devices.Count(d => DeviceSampler.Keeps("rule-a"u8, d, 0.5) && DeviceSampler.Keeps("rule-b"u8, d, 0.5));

        // Independent halves overlap on a quarter (±5σ); the same hash for both would give a half.
        var sigma = Math.Sqrt(100_000 * 0.25 * 0.75);
        Assert.InRange(both, 25_000 - (5 * sigma), 25_000 + (5 * sigma));
    }

    [Fact]
    public void Rate_zero_keeps_nobody_and_rate_one_keeps_everybody()
    {
        var devices = Devices(1000);

        Assert.DoesNotContain(devices, d => DeviceSampler.Keeps("r"u8, d, 0));
        Assert.All(devices, d => Assert.True(DeviceSampler.Keeps("r"u8, d, 1)));
    }

    [Fact]
    public void A_device_whose_hash_equals_the_threshold_is_not_kept()
    {
        // Kept when h < rate × 2³² (docs/protocol.md): at exactly h / 2³² the documented device is out, just above it in.
        const uint h = 750931100;
        var device = "0123456789abcdef0123456789abcdef"u8;

        Assert.False(DeviceSampler.Keeps("shed-exposure"u8, device, h / 4294967296.0));
        Assert.True(DeviceSampler.Keeps("shed-exposure"u8, device, (h + 1) / 4294967296.0));
    }

    private static List<byte[]> Devices(int count)
    {
        var random = new Random(42);
        return [.. Enumerable.Range(0, count).Select(_ =>
        {
            var id = new byte[16];
            random.NextBytes(id);
            return Encoding.ASCII.GetBytes(Convert.ToHexStringLower(id));
        })];
    }
}
