using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
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
    public static DecodeStatus Decode(ReadOnlySpan<byte> source, Span<byte> destination, out int written) =>
        Decode(source, destination, wellFormed: false, out written);

    /// <summary>
    /// As <see cref="Decode(ReadOnlySpan{byte}, Span{byte}, out int)"/>; <paramref name="wellFormed"/>: the source is
    /// well-formed UTF-8 already, so the result needs a UTF-8 check only when an escape decodes to a byte ≥ 0x80.
    /// </summary>
    internal static DecodeStatus Decode(ReadOnlySpan<byte> source, Span<byte> destination, bool wellFormed, out int written)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException("The destination must be at least as long as the source.", nameof(destination));
        }

        written = 0;
        var high = 0;
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

            var hex = (HexValue(source[run + 1]) << 4) | HexValue(source[run + 2]);
            if (hex < 0)
            {
                return DecodeStatus.InvalidEscape;
            }

            destination[written++] = (byte)hex;
            high |= hex;
            source = source[(run + 3)..];
        }

        return ((high & 0x80) == 0 && wellFormed) || Utf8.IsValid(destination[..written]) ? DecodeStatus.Done : DecodeStatus.InvalidUtf8;
    }

    /// <summary>
    /// Decodes one part of a query as <see cref="Decode(ReadOnlySpan{byte}, Span{byte}, out int)"/> does, hopping between the escapes
    /// <see cref="PairScanner.Scan"/> marked in <paramref name="escapes"/> and copying the plain runs between
    /// them whole. <paramref name="wellFormed"/>: the whole query is well-formed UTF-8, so the result needs
    /// a UTF-8 check only when an escape decodes to a byte ≥ 0x80.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // the rare case: kept out of the pair loop's registers
    internal static DecodeStatus Decode(ReadOnlySpan<byte> query, QueryPart part, ReadOnlySpan<ulong> escapes, bool wellFormed, Span<byte> destination, out int written)
    {
        var w = 0;
        var at = part.Start;
        var high = 0;

        // The part's escapes, one bit each, taken lowest first. The two digits after a '%' are never
        // marked (they are not '%' or '+', or the escape is invalid), so clearing the bit just taken
        // leaves the next escape lowest.
        var block = at >> 6;
        var lastBlock = (part.End - 1) >> 6;
        var word = escapes[block] & (ulong.MaxValue << (at & 63));
        while (true)
        {
            while (word == 0 && block < lastBlock)
            {
                word = escapes[++block];
            }

            var next = word == 0 ? part.End : Math.Min((block << 6) + BitOperations.TrailingZeroCount(word), part.End);
            word &= word - 1;
            var run = next - at;
            if (run <= 16 && at + 16 <= query.Length && w + 16 <= destination.Length)
            {
                // Short runs between escapes are the rule (a URL's "%2F"s): one 16-byte move beats a copy call.
                Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(query), (nuint)at).StoreUnsafe(ref MemoryMarshal.GetReference(destination), (nuint)w);
            }
            else
            {
                query[at..next].CopyTo(destination[w..]);
            }

            w += run;
            if (next == part.End)
            {
                break;
            }

            if (query[next] == (byte)'+')
            {
                destination[w++] = (byte)' ';
                at = next + 1;
                continue;
            }

            var hex = next + 2 < part.End ? (HexValue(query[next + 1]) << 4) | HexValue(query[next + 2]) : -1;
            if (hex < 0)
            {
                written = w;
                return DecodeStatus.InvalidEscape;
            }

            destination[w++] = (byte)hex;
            high |= hex;
            at = next + 3;
        }

        written = w;
        return ((high & 0x80) == 0 && wellFormed) || Utf8.IsValid(destination[..w]) ? DecodeStatus.Done : DecodeStatus.InvalidUtf8;
    }

    /// <summary>A hex digit's value, -1 for any other byte.</summary>
    internal static int HexValue(byte c) => HexDigits[c];

    /// <summary>The value of each byte as a hex digit; -1 for the rest. A table: escapes are the decoder's inner loop.</summary>
    private static ReadOnlySpan<sbyte> HexDigits =>
    [
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -1, -1, -1, -1, -1,
        -1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    ];
}
