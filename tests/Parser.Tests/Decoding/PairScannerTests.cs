using System.Text;
using Beacon.Parser.Decoding;

namespace Beacon.Parser.Tests.Decoding;

/// <summary>
/// <see cref="PairScanner"/> on a query that is a slice of a larger request buffer, as the edge hands it over:
/// nothing past the query's end may be read, whatever the loads' widths.
/// </summary>
public sealed class PairScannerTests
{
    /// <summary>Bytes the scanner marks: any of them read past the query would show as a pair, an escape or a non-ASCII query.</summary>
    private static readonly byte[] Marked = [(byte)'&', (byte)'=', (byte)'%', (byte)'+', 0xC3];

    public static TheoryData<int> QueryLengths()
    {
        // Every length under the 64-byte block (the byte loop, then 16-byte loads), a whole block and a block and a half.
        var data = new TheoryData<int>();
        for (var length = 3; length <= 100; length++)
        {
            data.Add(length);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(QueryLengths))]
    public void A_query_sliced_from_a_larger_buffer_is_scanned_only_up_to_its_end(int length)
    {
        byte[] buffer = [.. Encoding.ASCII.GetBytes("k=" + new string('v', length - 2)), .. Enumerable.Repeat(Marked, 16).SelectMany(static b => b)];
        var query = buffer.AsSpan(0, length);
        var parts = new QueryPart[length + 1];

        var pairs = PairScanner.Scan(query, parts, new ulong[PairScanner.MarkWords(length)], out var ascii);

        Assert.Equal(1, pairs);
        Assert.Equal(new QueryPart(0, 1), parts[0]);
        Assert.Equal(new QueryPart(2, length), parts[1]);
        Assert.True(ascii);
    }
}
