using System.Buffers;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text.Unicode;

namespace Beacon.Parser.Decoding;

/// <summary>
/// Decodes <c>application/x-www-form-urlencoded</c> components on spans: '+' is a space, <c>%XX</c> a
/// byte, and the result must be well-formed UTF-8. Bad input is a status, never an exception.
/// </summary>
public static class PercentDecoder
{
    private static readonly SearchValues<byte> Specials = SearchValues.Create("%+"u8);

    /// <summary>
    /// Decodes <paramref name="source"/> into <paramref name="destination"/>, which must be at least
    /// as long as the source (decoding never grows the input).
    /// </summary>
    public static DecodeStatus Decode(ReadOnlySpan<byte> source, Span<byte> destination, out int written)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException("The destination must be at least as long as the source.", nameof(destination));
        }

        written = 0;
        while (true)
        {
            // Copy the plain run up to the next '%' or '+' in one vectorised step.
            var run = source.IndexOfAny(Specials);
            if (run < 0)
            {
                source.CopyTo(destination[written..]);
                written += source.Length;
                break;
            }

            source[..run].CopyTo(destination[written..]);
            written += run;
            if (source[run] == (byte)'+')
            {
                destination[written++] = (byte)' ';
                source = source[(run + 1)..];
                continue;
            }

            if (run + 2 >= source.Length)
            {
                return DecodeStatus.InvalidEscape;
            }

            var high = HexValue(source[run + 1]);
            var low = HexValue(source[run + 2]);
            if ((high | low) < 0)
            {
                return DecodeStatus.InvalidEscape;
            }

            destination[written++] = (byte)((high << 4) | low);
            source = source[(run + 3)..];
        }

        return Utf8.IsValid(destination[..written]) ? DecodeStatus.Done : DecodeStatus.InvalidUtf8;
    }

    /// <summary>
    /// Decodes one component of a query in place, as <see cref="Decode"/> does, from <paramref name="position"/>
    /// up to the first <c>&amp;</c> (and, for a key, the first <c>=</c>), leaving <paramref name="position"/> on
    /// that delimiter or at the end. One scalar pass: splitting, unescaping and spotting non-ASCII
    /// together, because pixel fields are short and a vectorised call per field costs more than the
    /// bytes; UTF-8 is checked only when a byte of the result is ≥ 0x80. Returns the same status
    /// <see cref="Decode"/> would for the same component (an escape error wins over a UTF-8 error).
    /// </summary>
    internal static DecodeStatus DecodeComponent(ReadOnlySpan<byte> query, ref int position, bool key, Span<byte> destination, out int written)
    {
        // Bit b set: byte b needs a look (< 64 only: '%' 0x25, '&' 0x26, '+' 0x2B, and for keys '=' 0x3D).
        var specials = key ? KeySpecials : ValueSpecials;
        var equalsSign = Vector128.Create(key ? (byte)'=' : (byte)'%');
        ref var source = ref MemoryMarshal.GetReference(query);
        ref var target = ref MemoryMarshal.GetReference(destination);
        var i = position;
        var w = 0;
        var seen = 0;
        var status = DecodeStatus.Done;
        while ((uint)i < (uint)query.Length)
        {
            // 16 bytes at a time while they are plain: copied whole, the first special byte found with one mask.
            if (i + 16 <= query.Length && w + 16 <= destination.Length)
            {
                var block = Vector128.LoadUnsafe(ref source, (nuint)i);
                var special = (Vector128.Equals(block, Percent) | Vector128.Equals(block, Ampersand) | Vector128.Equals(block, Plus)
                    | Vector128.Equals(block, equalsSign)).ExtractMostSignificantBits();
                block.StoreUnsafe(ref target, (nuint)w);
                var plain = special == 0 ? 16 : BitOperations.TrailingZeroCount(special);
                if ((block.ExtractMostSignificantBits() & ((1u << plain) - 1)) != 0)
                {
                    seen |= 0x80;
                }

                i += plain;
                w += plain;
                if (special == 0)
                {
                    continue;
                }
            }

            uint b = query[i];
            if (b >= 64 || ((specials >> (int)b) & 1) == 0)
            {
                destination[w++] = (byte)b;
                seen |= (int)b;
                i++;
                continue;
            }

            if (b == '+')
            {
                destination[w++] = (byte)' ';
                i++;
                continue;
            }

            if (b != '%')
            {
                break; // '&', or '=' in a key: the component ends here
            }

            if (status == DecodeStatus.Done)
            {
                var high = i + 2 < query.Length ? HexValue(query[i + 1]) : -1;
                var low = i + 2 < query.Length ? HexValue(query[i + 2]) : -1;
                if ((high | low) >= 0)
                {
                    var decoded = (high << 4) | low;
                    destination[w++] = (byte)decoded;
                    seen |= decoded;
                    i += 3;
                    continue;
                }

                status = DecodeStatus.InvalidEscape;
            }

            i++; // after a bad escape only the component's end is still wanted
        }

        position = i;
        written = w;
        if (status != DecodeStatus.Done)
        {
            return status;
        }

        return (seen & 0x80) == 0 || Utf8.IsValid(destination[..w]) ? DecodeStatus.Done : DecodeStatus.InvalidUtf8;
    }

    private static readonly Vector128<byte> Percent = Vector128.Create((byte)'%');
    private static readonly Vector128<byte> Ampersand = Vector128.Create((byte)'&');
    private static readonly Vector128<byte> Plus = Vector128.Create((byte)'+');

    private const ulong ValueSpecials = (1UL << '%') | (1UL << '&') | (1UL << '+');
    private const ulong KeySpecials = ValueSpecials | (1UL << '=');

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };
}
