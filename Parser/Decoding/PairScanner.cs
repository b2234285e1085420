using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Beacon.Parser.Decoding;

/// <summary>
/// Finds the <c>key=value</c> pairs of a raw query without decoding them. One vectorised pass marks,
/// 64 bytes per word, where the '&amp;'s, the '='s and the escapes ('%', '+') are and whether any byte is
/// not ASCII; pairs are then found by hopping from '&amp;' to '&amp;' with bit operations, so a part costs
/// the same whatever its length, and only parts holding an escape need percent-decoding. Splits
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

        var count = 0;
        var at = 0;
        while (at < query.Length)
        {
            var end = Next(ampersands, at, query.Length);
            if (end == at)
            {
                at++; // an empty pair
                continue;
            }

            // The first '=' splits; a later one belongs to the value.
            var split = Math.Min(Next(equalSigns, at, query.Length), end);
            parts[count++] = new QueryPart(at, split, Any(escapes, at, split));
            var value = Math.Min(split + 1, end);
            parts[count++] = new QueryPart(value, end, Any(escapes, value, end));
            at = end + 1;
        }

        return count >> 1;
    }

    /// <summary>The first set bit at or after <paramref name="from"/>, or <paramref name="length"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int Next(ReadOnlySpan<ulong> words, int from, int length)
    {
        var block = from >> 6;
        var word = words[block] & (ulong.MaxValue << (from & 63));
        while (word == 0)
        {
            if (++block == words.Length)
            {
                return length;
            }

            word = words[block];
        }

        return (block << 6) + BitOperations.TrailingZeroCount(word);
    }

    /// <summary>Whether a bit in <c>[from, to)</c> is set.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Any(ReadOnlySpan<ulong> words, int from, int to) =>
        from < to && Next(words, from, int.MaxValue) < to;

    /// <summary>Fills the three mark arrays; true when every byte is ASCII.</summary>
    private static bool Mark(ReadOnlySpan<byte> query, Span<ulong> ampersands, Span<ulong> equalSigns, Span<ulong> escapes)
    {
        var high = 0UL;
        Span<byte> tail = stackalloc byte[64]; // zeroed: padding is never a mark, nor high
        for (var block = 0; block < ampersands.Length; block++)
        {
            var offset = block << 6;
            var bytes = offset + 64 <= query.Length ? query.Slice(offset, 64) : Tail(query[offset..], tail);
            ref var at = ref MemoryMarshal.GetReference(bytes);
            var (ampersand, equalSign, escape, nonAscii) = Vector256.IsHardwareAccelerated ? Marks256(ref at) : Marks128(ref at);
            ampersands[block] = ampersand;
            equalSigns[block] = equalSign;
            escapes[block] = escape;
            high |= nonAscii;
        }

        return high == 0;
    }

    private static ReadOnlySpan<byte> Tail(ReadOnlySpan<byte> rest, Span<byte> tail)
    {
        rest.CopyTo(tail);
        return tail;
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
