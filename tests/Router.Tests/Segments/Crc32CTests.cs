using Beacon.Router.Segments;

namespace Beacon.Router.Tests.Segments;

public sealed class Crc32CTests
{
    [Fact]
    public void The_check_value_of_123456789_is_E3069283() =>
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));

    [Fact]
    public void The_crc_of_no_bytes_is_zero() =>
        Assert.Equal(0u, Crc32C.Compute([]));

    [Fact]
    public void The_iSCSI_test_vectors_match()
    {
        // RFC 3720 appendix B.4: 32 bytes each, so the 8-byte fast path is exercised.
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
        Assert.Equal(0x46DD794Eu, Crc32C.Compute(Enumerable.Range(0, 32).Select(static i => (byte)i).ToArray()));
        Assert.Equal(0x113FDB5Cu, Crc32C.Compute(Enumerable.Range(0, 32).Select(static i => (byte)(31 - i)).ToArray()));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 2)]
    [InlineData(3, 11)]
    [InlineData(7, 8)]
    [InlineData(8, 16)]
    [InlineData(50, 99)]
    [InlineData(100, 100)]
    public void Appending_in_pieces_gives_the_crc_of_the_whole(int firstCut, int secondCut)
    {
        var data = Enumerable.Range(0, 100).Select(static i => (byte)((i * 37) + 11)).ToArray();

        var crc = Crc32C.Append(Crc32C.Seed, data.AsSpan(0, firstCut));
        crc = Crc32C.Append(crc, data.AsSpan(firstCut, secondCut - firstCut));
        crc = Crc32C.Append(crc, data.AsSpan(secondCut));

        Assert.Equal(Crc32C.Compute(data), Crc32C.Finish(crc));
    }

    [Fact]
    public void A_single_changed_bit_changes_the_crc()
    {
        var data = "the quick brown fox jumps over the lazy dog"u8.ToArray();
        var before = Crc32C.Compute(data);
        data[20] ^= 0x01;

        Assert.NotEqual(before, Crc32C.Compute(data));
    }
}
