using System.Buffers;
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

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };
}
