using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Beacon.Parser.Decoding;

/// <summary>
/// Finds the <c>key=value</c> pairs of a raw query without decoding them. One vectorised pass marks,
/// 64 bytes per word, where the '&amp;'s, the '='s and the escapes ('%', '+') are and whether any byte is
/// not ASCII; pairs are then found by taking the '&amp;'s and '='s in order with bit operations, so a part
/// costs the same whatever its length, and only parts holding an escape need percent-decoding. Splits
/// exactly as <see cref="QueryStringReader"/> does.
/// </summary>
internal static class PairScanner
{
    /// <summary>Words of marks a query of <paramref name="length"/> bytes needs (<see cref="Scan"/>'s <c>marks</c>).</summary>
    public static int MarkWords(int length) => 3 * ((length + 63) >> 6);

    /// <summary>Where <see cref="Scan"/> left the escape marks in <paramref name="marks"/>, for <see cref="PercentDecoder"/>.</summary>
    public static ReadOnlySpan<ulong> Escapes(ReadOnlySpan<ulong> marks, int length)
    {
        var blocks = (length + 63) >> 6;
        return marks.Slice(2 * blocks, blocks);
    }

    /// <summary>
    /// Writes each pair's key and value to <paramref name="parts"/> (2·i and 2·i + 1; empty pairs skipped, a
    /// pair without '=' has an empty value at its end) and returns the number of pairs. <paramref name="parts"/>
    /// needs room for <c>query.Length + 1</c> parts (a pair takes at least one byte and a '&amp;'),
    /// <paramref name="marks"/> for <see cref="MarkWords"/>. <paramref name="ascii"/>: no byte is ≥ 0x80.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // a tight loop of its own keeps its state in registers
    public static int Scan(ReadOnlySpan<byte> query, Span<QueryPart> parts, Span<ulong> marks, out bool ascii)
    {
        var blocks = (query.Length + 63) >> 6;
        var ampersands = marks[..blocks];
        var equalSigns = marks.Slice(blocks, blocks);
        var escapes = marks.Slice(2 * blocks, blocks);
        ascii = Mark(query, ampersands, equalSigns, escapes);

        // One pass over the '&'s and '='s in order, lowest bit first: a '&' ends a pair, the first '='
        // of a pair splits it (a later one belongs to the value).
        var count = 0;
        var at = 0;
        var split = -1;
        for (var block = 0; block < blocks; block++)
        {
            var ampersand = ampersands[block];
            var delimiters = ampersand | equalSigns[block];
            while (delimiters != 0)
            {
                var bit = delimiters & (0 - delimiters);
                var position = (block << 6) + BitOperations.TrailingZeroCount(delimiters);
                delimiters ^= bit;
                if ((ampersand & bit) == 0)
                {
                    split = split < 0 ? position : split;
                    continue;
                }

                if (position > at)
                {
                    count = AddPair(parts, count, at, split < 0 ? position : split, position);
                }

                at = position + 1; // empty pairs are skipped
                split = -1;
            }
        }

        return (at < query.Length ? AddPair(parts, count, at, split < 0 ? query.Length : split, query.Length) : count) >> 1;
    }

    /// <summary>The pair <c>[start, end)</c> split at <paramref name="split"/> (its end when there is no '='): its key and value parts.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int AddPair(Span<QueryPart> parts, int count, int start, int split, int end)
    {
        parts[count] = new QueryPart(start, split);
        parts[count + 1] = new QueryPart(Math.Min(split + 1, end), end);
        return count + 2;
    }

    /// <summary>
    /// Whether a bit in <c>[from, to)</c> is set, e.g. whether a part holds an escape (<see cref="Escapes"/>);
    /// looks at the words of that range only.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Any(ReadOnlySpan<ulong> words, int from, int to)
    {
        if (from >= to)
        {
            return false;
        }

        var block = from >> 6;
        var last = (to - 1) >> 6;
        var word = words[block] & (ulong.MaxValue << (from & 63));
        while (block < last)
        {
            if (word != 0)
            {
                return true;
            }

            word = words[++block];
        }

        return (word & (ulong.MaxValue >> (63 - ((to - 1) & 63)))) != 0;
    }

    /// <summary>Fills the three mark arrays; true when every byte is ASCII.</summary>
    private static bool Mark(ReadOnlySpan<byte> query, Span<ulong> ampersands, Span<ulong> equalSigns, Span<ulong> escapes)
    {
        var high = 0UL;
        ref var start = ref MemoryMarshal.GetReference(query);
        var whole = query.Length >> 6;
        for (var block = 0; block < whole; block++)
        {
            var (ampersand, equalSign, escape, nonAscii) = Marks(ref Unsafe.Add(ref start, block << 6));
            ampersands[block] = ampersand;
            equalSigns[block] = equalSign;
            escapes[block] = escape;
            high |= nonAscii;
        }

        var rest = query.Length & 63;
        if (rest != 0)
        {
            // The last 64 bytes of the query, shifted so that the block's first byte is bit 0: nothing
            // past the query is read, and nothing is copied (a copy to padding stalls the wide load after it).
            var shift = whole > 0 ? 64 - rest : 0;
            var (ampersand, equalSign, escape, nonAscii) = whole > 0 ? Marks(ref Unsafe.Add(ref start, query.Length - 64)) : ShortMarks(query);
            ampersands[whole] = ampersand >> shift;
            equalSigns[whole] = equalSign >> shift;
            escapes[whole] = escape >> shift;
            high |= nonAscii >> shift;
        }

        return high == 0;
    }

    /// <summary>The marks of a query shorter than 64 bytes: 16-byte loads, the last overlapping the one before; byte by byte under 16.</summary>
    private static (ulong Ampersand, ulong EqualSign, ulong Escape, ulong NonAscii) ShortMarks(ReadOnlySpan<byte> query)
    {
        ulong ampersand = 0, equalSign = 0, escape = 0, nonAscii = 0;
        if (query.Length < 16)
        {
            for (var i = 0; i < query.Length; i++)
            {
                var c = query[i];
                ampersand |= (c == (byte)'&' ? 1UL : 0) << i;
                equalSign |= (c == (byte)'=' ? 1UL : 0) << i;
                escape |= (c is (byte)'%' or (byte)'+' ? 1UL : 0) << i;
                nonAscii |= (c >= 0x80 ? 1UL : 0) << i;
            }

            return (ampersand, equalSign, escape, nonAscii);
        }

        ref var start = ref MemoryMarshal.GetReference(query);
        for (var offset = 0; offset < query.Length; offset += 16)
        {
            var at = Math.Min(offset, query.Length - 16);
            var bytes = Vector128.LoadUnsafe(ref start, (nuint)at);
            ampersand |= (ulong)Vector128.Equals(bytes, Vector128.Create((byte)'&')).ExtractMostSignificantBits() << at;
            equalSign |= (ulong)Vector128.Equals(bytes, Vector128.Create((byte)'=')).ExtractMostSignificantBits() << at;
            escape |= (ulong)(Vector128.Equals(bytes, Vector128.Create((byte)'%')) | Vector128.Equals(bytes, Vector128.Create((byte)'+'))).ExtractMostSignificantBits() << at;
            nonAscii |= (ulong)bytes.ExtractMostSignificantBits() << at;
        }

        return (ampersand, equalSign, escape, nonAscii);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (ulong Ampersand, ulong EqualSign, ulong Escape, ulong NonAscii) Marks(ref byte at) =>
        Vector512.IsHardwareAccelerated ? Marks512(ref at) : Vector256.IsHardwareAccelerated ? Marks256(ref at) : Marks128(ref at);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (ulong Ampersand, ulong EqualSign, ulong Escape, ulong NonAscii) Marks512(ref byte at)
    {
        var bytes = Vector512.LoadUnsafe(ref at);
        return (Vector512.Equals(bytes, Vector512.Create((byte)'&')).ExtractMostSignificantBits(),
            Vector512.Equals(bytes, Vector512.Create((byte)'=')).ExtractMostSignificantBits(),
            (Vector512.Equals(bytes, Vector512.Create((byte)'%')) | Vector512.Equals(bytes, Vector512.Create((byte)'+'))).ExtractMostSignificantBits(),
            bytes.ExtractMostSignificantBits());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (ulong Ampersand, ulong EqualSign, ulong Escape, ulong NonAscii) Marks256(ref byte at)
    {
        var low = Vector256.LoadUnsafe(ref at);
        var high = Vector256.LoadUnsafe(ref at, 32);
        return (Join(Vector256.Equals(low, Vector256.Create((byte)'&')), Vector256.Equals(high, Vector256.Create((byte)'&'))),
            Join(Vector256.Equals(low, Vector256.Create((byte)'=')), Vector256.Equals(high, Vector256.Create((byte)'='))),
            Join(Vector256.Equals(low, Vector256.Create((byte)'%')) | Vector256.Equals(low, Vector256.Create((byte)'+')),
                Vector256.Equals(high, Vector256.Create((byte)'%')) | Vector256.Equals(high, Vector256.Create((byte)'+'))),
            Join(low, high));

        static ulong Join(Vector256<byte> low, Vector256<byte> high) =>
            low.ExtractMostSignificantBits() | ((ulong)high.ExtractMostSignificantBits() << 32);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (ulong Ampersand, ulong EqualSign, ulong Escape, ulong NonAscii) Marks128(ref byte at)
    {
        ulong ampersand = 0, equalSign = 0, escape = 0, nonAscii = 0;
        for (var i = 0; i < 4; i++)
        {
            var bytes = Vector128.LoadUnsafe(ref at, (nuint)(16 * i));
            var shift = 16 * i;
            ampersand |= (ulong)Vector128.Equals(bytes, Vector128.Create((byte)'&')).ExtractMostSignificantBits() << shift;
            equalSign |= (ulong)Vector128.Equals(bytes, Vector128.Create((byte)'=')).ExtractMostSignificantBits() << shift;
            escape |= (ulong)(Vector128.Equals(bytes, Vector128.Create((byte)'%')) | Vector128.Equals(bytes, Vector128.Create((byte)'+'))).ExtractMostSignificantBits() << shift;
            nonAscii |= (ulong)bytes.ExtractMostSignificantBits() << shift;
        }

        return (ampersand, equalSign, escape, nonAscii);
    }
}
