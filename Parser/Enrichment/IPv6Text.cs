using System.Buffers.Binary;
using Beacon.Parser.Decoding;

namespace Beacon.Parser.Enrichment;

/// <summary>
/// IPv6 text to bytes and back on spans, without an <see cref="System.Net.IPAddress"/>, for the common
/// forms only: hex groups with at most one "::" (no zone, no dotted IPv4 tail), and output in RFC 5952
/// form as <see cref="System.Net.IPAddress.ToString"/> writes it. Anything else is "not handled" —
/// callers fall back to <see cref="System.Net.IPAddress"/> — so these never accept what it rejects.
/// </summary>
internal static class IPv6Text
{
    /// <summary>The 16 bytes of <paramref name="text"/>; false when it is not in the forms handled here.</summary>
    public static bool TryParse(ReadOnlySpan<byte> text, Span<byte> address)
    {
        Span<ushort> words = stackalloc ushort[8];
        var count = 0;
        var gap = -1; // where "::" stands, in words
        var at = 0;
        if (text.Length < 2 || text.Length > 39)
        {
            return false;
        }

        if (text[0] == (byte)':')
        {
            if (text[1] != (byte)':')
            {
                return false;
            }

            gap = 0;
            at = 2;
        }

        while (at < text.Length)
        {
            if (count == 8)
            {
                return false;
            }

            var value = 0;
            var digits = 0;
            while (at < text.Length && digits < 5 && PercentDecoder.HexValue(text[at]) is var digit and >= 0)
            {
                value = (value << 4) | digit;
                digits++;
                at++;
            }

            if (digits is 0 or > 4)
            {
                return false;
            }

            words[count++] = (ushort)value;
            if (at == text.Length)
            {
                break;
            }

            if (text[at] != (byte)':' || ++at == text.Length)
            {
                return false; // not a separator, or a single trailing ':'
            }

            if (text[at] == (byte)':')
            {
                if (gap >= 0)
                {
                    return false; // a second "::"
                }

                gap = count;
                at++;
            }
        }

        if (gap < 0 ? count != 8 : count > 7)
        {
            return false;
        }

        // Words after the gap move to the end; the gap is zeros.
        address.Clear();
        for (var i = 0; i < count; i++)
        {
            var slot = gap >= 0 && i >= gap ? 8 - count + i : i;
            BinaryPrimitives.WriteUInt16BigEndian(address[(2 * slot)..], words[i]);
        }

        return true;
    }

    /// <summary>
    /// RFC 5952 text of <paramref name="address"/> (lower case, no leading zeros, the first longest run of
    /// two or more zero groups as "::"); false for the addresses written with a dotted IPv4 tail.
    /// </summary>
    public static bool TryFormat(ReadOnlySpan<byte> address, Span<byte> destination, out int written)
    {
        written = 0;
        Span<ushort> words = stackalloc ushort[8];
        for (var i = 0; i < 8; i++)
        {
            words[i] = BinaryPrimitives.ReadUInt16BigEndian(address[(2 * i)..]);
        }

        // IPAddress writes IPv4-compatible, mapped, SIIT and ISATAP addresses with a dotted tail: leave them to it.
        if ((words[0] | words[1] | words[2] | words[3]) == 0 || words[5] == 0x5EFE)
        {
            return false;
        }

        var runStart = -1;
        var runLength = 0;
        for (var i = 0; i < 8;)
        {
            var end = i;
            while (end < 8 && words[end] == 0)
            {
                end++;
            }

            if (end - i > runLength && end - i >= 2)
            {
                runStart = i;
                runLength = end - i;
            }

            i = end == i ? i + 1 : end;
        }

        if (destination.Length < 39)
        {
            return false;
        }

        var w = 0;
        for (var i = 0; i < 8;)
        {
            if (i == runStart)
            {
                destination[w++] = (byte)':';
                destination[w++] = (byte)':';
                i += runLength;
                continue;
            }

            if (i > 0 && i != runStart + runLength)
            {
                destination[w++] = (byte)':';
            }

            var word = words[i++];
            for (var shift = 12; shift >= 0; shift -= 4)
            {
                var digit = (word >> shift) & 0xF;
                if (digit != 0 || shift == 0 || (word >> shift) > 0xF)
                {
                    destination[w++] = (byte)(digit < 10 ? '0' + digit : 'a' + digit - 10);
                }
            }
        }

        written = w;
        return true;
    }
}
