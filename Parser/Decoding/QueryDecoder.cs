using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Beacon.Parser.Decoding;

/// <summary>
/// Percent-decodes a whole query in one pass, 64 bytes a step, with AVX-512 VBMI byte permutes: each
/// <c>%XX</c> becomes its byte, each '+' a space, and the escapes' digits are squeezed out of the block by
/// one permute. The keys and values are then ranges of the result: a part's raw position less two bytes
/// per '%' before it. This replaces copying the query and decoding each escaped part on its own, which
/// cost a dozen branches and table loads per escape. It declines, leaving the part-by-part path
/// (<see cref="PercentDecoder"/>, which names what is wrong), when the CPU has no VBMI, the query is
/// shorter than a block, or an escape is invalid.
/// </summary>
internal static class QueryDecoder
{
    private const int Block = 64;

    // The hex digit tables (PercentDecoder's) in two vectors each, bytes 0 – 63 and 64 – 127, for a
    // two-table byte permute; the first digit's values come shifted up four bits.
    private static readonly Vector512<byte> UpperDigitsLow = DigitTable(0, shift: 4);
    private static readonly Vector512<byte> UpperDigitsHigh = DigitTable(Block, shift: 4);
    private static readonly Vector512<byte> DigitsLow = DigitTable(0, shift: 0);
    private static readonly Vector512<byte> DigitsHigh = DigitTable(Block, shift: 0);

    public static bool IsSupported => Avx512Vbmi.IsSupported && Bmi2.X64.IsSupported;

    /// <summary>Room <see cref="TryDecode"/> needs past the decoded query: it stores whole blocks.</summary>
    public const int Slack = Block;

    /// <summary>The length <see cref="TryDecode"/>'s <c>percents</c> needs for a query of <paramref name="length"/> bytes.</summary>
    public static int PercentSlots(int length) => (length / 3) + 2;

    /// <summary>
    /// Decodes <paramref name="query"/> into <paramref name="destination"/> (at least <see cref="Slack"/>
    /// bytes longer than the query) and lists where its '%'s are in <paramref name="percents"/>, in order
    /// and closed by <see cref="int.MaxValue"/>. False, having decoded nothing usable, when it declines.
    /// <paramref name="high"/>: an escape made a byte ≥ 0x80, so the result needs a UTF-8 check.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> query, Span<byte> destination, Span<int> percents, out int written, out bool high)
    {
        written = 0;
        high = false;
        var length = query.Length;
        if (!IsSupported || length < Block || destination.Length < length + Slack || percents.Length < PercentSlots(length))
        {
            return false;
        }

        ref var source = ref MemoryMarshal.GetReference(query);
        ref var target = ref MemoryMarshal.GetReference(destination);
        var indices = Vector512<byte>.Indices;
        var highs = Vector512<byte>.Zero;
        var count = 0;
        var previous = 0UL;
        var current = Load(ref source, length, 0);
        for (var at = 0; at < length; at += Block)
        {
            var next = at + Block < length ? Load(ref source, length, at + Block) : Vector512<byte>.Zero;
            var percent = Vector512.Equals(current, Vector512.Create((byte)'%'));
            var bits = percent.ExtractMostSignificantBits();

            // A '%' at byte 62 of the block before has its second digit at byte 0 of this one; at 63, both.
            var carry = (int)((previous >> 62) & 1) + (int)((previous >> 63) << 1);
            previous = bits;
            var decoded = Vector512.ConditionalSelect(Vector512.Equals(current, Vector512.Create((byte)'+')), Vector512.Create((byte)' '), current);
            var size = Math.Min(length - at, Block);
            if ((bits | (uint)carry) == 0)
            {
                decoded.StoreUnsafe(ref target, (nuint)written);
                written += size;
                current = next;
                continue;
            }

            // Each byte's two successors, reaching into the next block: the digits, where the byte is a '%'.
            var first = Avx512Vbmi.PermuteVar64x8x2(current, indices + Vector512.Create((byte)1), next);
            var second = Avx512Vbmi.PermuteVar64x8x2(current, indices + Vector512.Create((byte)2), next);
            var upper = Avx512Vbmi.PermuteVar64x8x2(UpperDigitsLow, first, UpperDigitsHigh);
            var lower = Avx512Vbmi.PermuteVar64x8x2(DigitsLow, second, DigitsHigh);
            var invalid = (Vector512.Equals(upper, Vector512<byte>.AllBitsSet) | Vector512.Equals(lower, Vector512<byte>.AllBitsSet) | first | second) & percent;
            if (invalid.ExtractMostSignificantBits() != 0)
            {
                return false;
            }

            var value = upper | lower;
            highs |= value & percent;
            decoded = Vector512.ConditionalSelect(percent, value, decoded);

            // Output byte j is input byte j + carry + 2 for each '%' that lands before j; a '%' lands at
            // its rank among the bytes kept (all but the carry and the digits).
            var kept = ~((bits << 1) | (bits << 2) | ((1UL << carry) - 1)) & (ulong.MaxValue >> (Block - size));
            var landed = Bmi2.X64.ParallelBitExtract(bits, kept);
            var from = indices + Vector512.Create((byte)carry);
            var raw = at + carry;
            while (landed != 0)
            {
                var position = BitOperations.TrailingZeroCount(landed);
                landed &= landed - 1;
                percents[count++] = raw + position;
                raw += 2;
                from += Vector512.GreaterThan(indices, Vector512.Create((byte)position)) & Vector512.Create((byte)2);
            }

            Avx512Vbmi.PermuteVar64x8(decoded, from).StoreUnsafe(ref target, (nuint)written);
            written += BitOperations.PopCount(kept);
            current = next;
        }

        percents[count] = int.MaxValue;
        high = highs.ExtractMostSignificantBits() != 0;
        return true;
    }

    /// <summary>
    /// The query's bytes <c>[at, at + 64)</c>, zeros past its end. A last partial block is the query's
    /// last 64 bytes moved down: nothing past the query is read, nor copied.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<byte> Load(ref byte source, int length, int at)
    {
        if (at + Block <= length)
        {
            return Vector512.LoadUnsafe(ref source, (nuint)at);
        }

        var tail = Vector512.LoadUnsafe(ref source, (nuint)(length - Block));
        var moved = Avx512Vbmi.PermuteVar64x8(tail, Vector512<byte>.Indices + Vector512.Create((byte)(at + Block - length)));
        return moved & Vector512.GreaterThan(Vector512.Create((byte)(length - at)), Vector512<byte>.Indices);
    }

    /// <summary>Half of a digit table: the value of each byte from <paramref name="first"/> on as a hex digit, shifted up <paramref name="shift"/> bits; 0xFF for any other byte.</summary>
    private static Vector512<byte> DigitTable(int first, int shift)
    {
        Span<byte> table = stackalloc byte[Block];
        for (var i = 0; i < Block; i++)
        {
            var value = PercentDecoder.HexValue((byte)(first + i));
            table[i] = value < 0 ? (byte)0xFF : (byte)(value << shift);
        }

        return Vector512.Create<byte>(table);
    }
}
