using System.Text;
using Beacon.Parser.Decoding;

namespace Beacon.Parser.Tests.Decoding;

public sealed class PercentDecoderTests
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    [Theory]
    [InlineData("", "")]
    [InlineData("pageview", "pageview")]
    [InlineData("a+b", "a b")]
    [InlineData("++", "  ")]
    [InlineData("a%20b", "a b")]
    [InlineData("1%2B1", "1+1")]
    [InlineData("%2b%2B", "++")]
    [InlineData("%3a%2f%2F%3A", "://:")]
    [InlineData("https%3A%2F%2Fex.com%2Fa%3Fb%3D1%26c%3D2", "https://ex.com/a?b=1&c=2")]
    [InlineData("%25", "%")]
    [InlineData("%2541", "%41")]
    [InlineData("%E4%BD%A0%E5%A5%BD", "你好")]
    [InlineData("%e4%bd%a0%e5%a5%bd", "你好")]
    [InlineData("%F0%9F%98%80", "😀")]
    [InlineData("smile+%F0%9F%98%80+now", "smile 😀 now")]
    public void Decode_turns_valid_input_into_the_expected_text(string encoded, string expected)
    {
        var (status, decoded) = Decode(Encoding.UTF8.GetBytes(encoded));

        Assert.Equal(DecodeStatus.Done, status);
        Assert.Equal(expected, decoded);
    }

    [Fact]
    public void Decode_turns_plus_into_space()
    {
        var (status, decoded) = Decode("hello+world"u8.ToArray());

        Assert.Equal(DecodeStatus.Done, status);
        Assert.Equal("hello world", decoded);
    }

    [Fact]
    public void Decode_turns_escaped_plus_into_a_plus_not_a_space()
    {
        var (status, decoded) = Decode("C%2B%2B"u8.ToArray());

        Assert.Equal(DecodeStatus.Done, status);
        Assert.Equal("C++", decoded);
    }

    [Theory]
    [InlineData("naïve café")]
    [InlineData("你好")]
    [InlineData("😀 ok")]
    public void Decode_passes_raw_non_ascii_utf8_through_unchanged(string text)
    {
        var (status, decoded) = Decode(Encoding.UTF8.GetBytes(text));

        Assert.Equal(DecodeStatus.Done, status);
        Assert.Equal(text, decoded);
    }

    [Theory]
    [InlineData("%")]
    [InlineData("%2")]
    [InlineData("%zz")]
    [InlineData("%g0")]
    [InlineData("%0g")]
    [InlineData("abc%")]
    [InlineData("abc%4")]
    [InlineData("%%41")]
    [InlineData("a%2 b")]
    [InlineData("ok%20then%")]
    public void Decode_reports_a_malformed_escape_as_InvalidEscape(string encoded)
    {
        var (status, _) = Decode(Encoding.UTF8.GetBytes(encoded));

        Assert.Equal(DecodeStatus.InvalidEscape, status);
    }

    [Theory]
    [InlineData("%FF")]
    [InlineData("%C3%28")]
    [InlineData("%C0%AF")]
    [InlineData("%ED%A0%80")]
    [InlineData("%E4%BD")]
    [InlineData("%80")]
    [InlineData("ok%F0%9F%98")]
    [InlineData("%F4%90%80%80")]
    public void Decode_reports_bytes_that_are_not_well_formed_utf8_as_InvalidUtf8(string encoded)
    {
        var (status, _) = Decode(Encoding.UTF8.GetBytes(encoded));

        Assert.Equal(DecodeStatus.InvalidUtf8, status);
    }

    [Fact]
    public void Decode_reports_raw_invalid_utf8_bytes_as_InvalidUtf8()
    {
        var (status, _) = Decode([(byte)'a', 0xFF, (byte)'b']);

        Assert.Equal(DecodeStatus.InvalidUtf8, status);
    }

    [Fact]
    public void Only_0_to_9_a_to_f_and_A_to_F_are_hex_digits_in_either_place_of_an_escape()
    {
        for (var b = 0; b < 256; b++)
        {
            var digit = char.IsAsciiHexDigit((char)b) ? Convert.ToInt32(((char)b).ToString(), 16) : -1;
            var destination = new byte[3];

            // Second place: "%3X" is an ASCII byte when X is a digit.
            var status = PercentDecoder.Decode([(byte)'%', (byte)'3', (byte)b], destination, out var written);
            Assert.Equal(
                (b, digit < 0 ? DecodeStatus.InvalidEscape : DecodeStatus.Done, digit < 0 ? -1 : 0x30 + digit),
                (b, status, status == DecodeStatus.Done && written == 1 ? destination[0] : -1));

            // First place: "%X0" is a byte of its own, not UTF-8 from 0x80 on.
            status = PercentDecoder.Decode([(byte)'%', (byte)b, (byte)'0'], destination, out written);
            Assert.Equal(
                (b, digit < 0 ? DecodeStatus.InvalidEscape : digit < 8 ? DecodeStatus.Done : DecodeStatus.InvalidUtf8, digit is >= 0 and < 8 ? digit << 4 : -1),
                (b, status, status == DecodeStatus.Done && written == 1 ? destination[0] : -1));
        }
    }

    [Theory]
    [InlineData("abc", 2)]
    [InlineData("%41%42", 2)]
    [InlineData("x", 0)]
    public void Decode_throws_when_the_destination_is_shorter_than_the_source(string encoded, int destinationLength)
    {
        var source = Encoding.UTF8.GetBytes(encoded);

        var error = Assert.Throws<ArgumentException>(() => PercentDecoder.Decode(source, new byte[destinationLength], out _));

        Assert.Equal("destination", error.ParamName);
    }

    [Fact]
    public void Decode_of_an_empty_source_is_Done_with_nothing_written()
    {
        var status = PercentDecoder.Decode([], [], out var written);

        Assert.Equal(DecodeStatus.Done, status);
        Assert.Equal(0, written);
    }

    [Fact]
    public void Decode_into_a_larger_destination_reports_only_the_decoded_length()
    {
        var destination = new byte[64];
        destination.AsSpan().Fill((byte)'#');

        var status = PercentDecoder.Decode("a%20b"u8, destination, out var written);

        Assert.Equal(DecodeStatus.Done, status);
        Assert.Equal(3, written);
        Assert.Equal("a b", Encoding.UTF8.GetString(destination, 0, written));
    }

    public static TheoryData<string, int> PrefixesOfValidInputs()
    {
        var data = new TheoryData<string, int>();
        foreach (var encoded in ValidInputs)
        {
            for (var length = 0; length <= encoded.Length; length++)
            {
                data.Add(encoded, length);
            }
        }

        return data;
    }

    private static readonly string[] ValidInputs =
    [
        "u=https%3A%2F%2Fex.com%2F%E4%BD%A0%3Fa%3D1+2",
        "%F0%9F%98%80+%C3%A9t%C3%A9",
    ];

    [Theory]
    [MemberData(nameof(PrefixesOfValidInputs))]
    public void Every_prefix_of_a_valid_string_decodes_only_when_it_cuts_no_escape_or_utf8_sequence(string encoded, int length)
    {
        var prefix = Encoding.ASCII.GetBytes(encoded[..length]);
        var (expectedStatus, expectedBytes) = ReferenceDecode(encoded[..length]);

        var destination = new byte[prefix.Length];
        var status = PercentDecoder.Decode(prefix, destination, out var written);

        Assert.Equal(expectedStatus, status);
        if (expectedStatus == DecodeStatus.Done)
        {
            Assert.Equal(expectedBytes, destination[..written]);
        }
    }

    [Fact]
    public void The_whole_prefix_test_input_decodes_to_the_expected_url()
    {
        var (status, decoded) = Decode(Encoding.ASCII.GetBytes(ValidInputs[0]));

        Assert.Equal(DecodeStatus.Done, status);
        Assert.Equal("u=https://ex.com/你?a=1 2", decoded);
    }

    private static (DecodeStatus Status, string Text) Decode(byte[] source)
    {
        var destination = new byte[source.Length];
        var status = PercentDecoder.Decode(source, destination, out var written);
        return (status, status == DecodeStatus.Done ? Encoding.UTF8.GetString(destination, 0, written) : "");
    }

    /// <summary>
    /// An independent, deliberately naive form decoder: '+' is a space, '%XX' a byte, and the result
    /// must survive a strict UTF-8 decode.
    /// </summary>
    private static (DecodeStatus Status, byte[] Bytes) ReferenceDecode(string encoded)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < encoded.Length; i++)
        {
            var c = encoded[i];
            if (c == '+')
            {
                bytes.Add((byte)' ');
            }
            else if (c == '%')
            {
                if (i + 2 >= encoded.Length || !Uri.IsHexDigit(encoded[i + 1]) || !Uri.IsHexDigit(encoded[i + 2]))
                {
                    return (DecodeStatus.InvalidEscape, []);
                }

                bytes.Add(Convert.ToByte(encoded.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
            }
        }

        var result = bytes.ToArray();
        try
        {
            _ = StrictUtf8.GetString(result);
        }
        catch (DecoderFallbackException)
        {
            return (DecodeStatus.InvalidUtf8, []);
        }

        return (DecodeStatus.Done, result);
    }
}
