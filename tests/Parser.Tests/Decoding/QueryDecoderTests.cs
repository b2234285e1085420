using System.Text;
using Beacon.Parser.Decoding;

namespace Beacon.Parser.Tests.Decoding;

/// <summary>
/// <see cref="QueryDecoder"/> against <see cref="PercentDecoder"/> decoding the same bytes as one span:
/// the same bytes out, the '%'s listed where they are, and a decline wherever the part-by-part path must
/// name a problem. Without AVX-512 VBMI (test.sh's narrow-vector runs) it must decline every query.
/// </summary>
public sealed class QueryDecoderTests
{
    [Fact]
    public void Random_queries_decode_to_what_the_part_by_part_decoder_makes_of_them()
    {
        // Escapes at every offset within and across the 64-byte blocks, beside the delimiters; now and then a bad one.
        var plain = "ab&=+.z2F"u8.ToArray();
        var digits = "0123456789abcdefABCDEF"u8.ToArray();
        string[] bad = ["%", "%4", "%G", "%4G", "%%", "%\u00e9", "%\u00f1"];
        var random = new Random(20261122);
        var decodedWhole = 0;
        var declined = 0;
        for (var round = 0; round < 20_000; round++)
        {
            var query = new List<byte>();
            var length = random.Next(0, 300);
            while (query.Count < length)
            {
                var token = random.Next(100);
                if (token < 70)
                {
                    query.Add(plain[random.Next(plain.Length)]);
                }
                else if (token < 99)
                {
                    query.AddRange([(byte)'%', digits[random.Next(digits.Length)], digits[random.Next(digits.Length)]]);
                }
                else
                {
                    query.AddRange(Encoding.UTF8.GetBytes(bad[random.Next(bad.Length)]));
                }
            }

            var taken = Check([.. query]);
            decodedWhole += taken ? 1 : 0;
            declined += !taken && query.Count >= 64 ? 1 : 0;
        }

        // Both ways out are taken, many times each.
        Assert.Equal(QueryDecoder.IsSupported, decodedWhole > 1000 && declined > 1000);
    }

    [Theory]
    [InlineData(60)]
    [InlineData(61)]
    [InlineData(62)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(126)]
    [InlineData(127)]
    [InlineData(128)]
    public void An_escape_whose_digits_cross_a_block_boundary_is_decoded(int offset)
    {
        var query = Encoding.ASCII.GetBytes(new string('a', offset) + "%C3%A9+x%2F" + new string('b', 40));

        Assert.Equal(QueryDecoder.IsSupported, Check(query));
    }

    [Theory]
    [InlineData("%")]
    [InlineData("%4")]
    [InlineData("%4G")]
    [InlineData("%G4")]
    [InlineData("%%41")]
    [InlineData("%\u00e941")]
    [InlineData("%\u00f1")] // 0xC3 0xB1: the low seven bits of each are hex digits
    public void A_bad_escape_anywhere_is_left_to_the_part_by_part_decoder(string tail)
    {
        foreach (var head in new[] { 61, 62, 63, 64, 100 })
        {
            var query = Encoding.UTF8.GetBytes(new string('a', head) + tail + (tail.Length > 2 ? "&k=v" : ""));

            Assert.False(QueryDecoder.TryDecode(query, new byte[query.Length + QueryDecoder.Slack], new int[QueryDecoder.PercentSlots(query.Length)], out _, out _));
        }
    }

    [Fact]
    public void A_query_shorter_than_a_block_or_a_destination_without_the_slack_is_declined()
    {
        var shortQuery = "e=pv&u=https%3A%2F%2Fa.example%2F"u8.ToArray();
        var longQuery = Encoding.ASCII.GetBytes("e=pv&u=https%3A%2F%2Fa.example%2F" + new string('x', 64));

        Assert.False(QueryDecoder.TryDecode(shortQuery, new byte[512], new int[64], out _, out _));
        Assert.False(QueryDecoder.TryDecode(longQuery, new byte[longQuery.Length + QueryDecoder.Slack - 1], new int[64], out _, out _));
        Assert.Equal(QueryDecoder.IsSupported, QueryDecoder.TryDecode(longQuery, new byte[longQuery.Length + QueryDecoder.Slack], new int[64], out _, out _));
    }

    [Theory]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(100)]
    [InlineData(127)]
    [InlineData(128)]
    [InlineData(129)]
    public void A_query_sliced_from_a_larger_buffer_is_decoded_only_up_to_its_end(int length)
    {
        // The query ends on a '%' short of its digits, and the buffer goes on with them: read past the end,
        // the escape would look good.
        byte[] buffer = [.. Encoding.ASCII.GetBytes(new string('v', length - 2) + "%4"), .. "1%41%41%41"u8];
        var query = buffer.AsSpan(0, length);

        Assert.False(QueryDecoder.TryDecode(query, new byte[length + QueryDecoder.Slack], new int[QueryDecoder.PercentSlots(length)], out _, out _));

        // Ending on plain bytes instead, it is decoded as it is, and nothing after its end comes with it.
        buffer[length - 2] = (byte)'w';
        var decoded = new byte[length + QueryDecoder.Slack];

        var taken = QueryDecoder.TryDecode(query, decoded, new int[QueryDecoder.PercentSlots(length)], out var written, out _);

        Assert.Equal(QueryDecoder.IsSupported, taken);
        if (taken)
        {
            Assert.Equal(query.ToArray(), decoded.AsSpan(0, written).ToArray());
        }
    }

    /// <summary>
    /// Decodes <paramref name="query"/> both ways and compares; true when <see cref="QueryDecoder"/> took it.
    /// </summary>
    private static bool Check(byte[] query)
    {
        var expected = new byte[query.Length];
        var status = PercentDecoder.Decode(query, expected, out var expectedLength);
        var decoded = new byte[query.Length + QueryDecoder.Slack];
        var percents = new int[QueryDecoder.PercentSlots(query.Length)];

        var taken = QueryDecoder.TryDecode(query, decoded, percents, out var written, out var high);

        var text = Encoding.Latin1.GetString(query);
        Assert.True(taken == (QueryDecoder.IsSupported && query.Length >= 64 && status != DecodeStatus.InvalidEscape), text);
        if (taken)
        {
            Assert.Equal(expected.AsSpan(0, expectedLength).ToArray(), decoded.AsSpan(0, written).ToArray());
            var where = Enumerable.Range(0, query.Length).Where(i => query[i] == (byte)'%').Append(int.MaxValue).ToArray();
            Assert.Equal(where, percents.AsSpan(0, where.Length).ToArray());
            Assert.Equal(where.SkipLast(1).Any(i => PercentDecoder.HexValue(query[i + 1]) >= 8), high);
        }

        return taken;
    }
}
