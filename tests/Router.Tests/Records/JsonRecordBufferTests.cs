using System.Text;
using System.Text.Json;
using Beacon.Router.Records;

namespace Beacon.Router.Tests.Records;

/// <summary>
/// The record buffer's escaping byte by byte: values under 16 bytes take a byte loop, longer ones 16-byte
/// compares whose last load overlaps the one before, so every position of both is checked.
/// </summary>
public sealed class JsonRecordBufferTests
{
    /// <summary>What JSON requires escaped: the control characters, quote and backslash.</summary>
    private static readonly byte[] Escaped = [.. Enumerable.Range(0, 0x20).Select(static c => (byte)c), (byte)'"', (byte)'\\'];

    private readonly JsonRecordBuffer _json = new();

    [Fact]
    public void Every_byte_json_requires_escaped_is_escaped_at_every_position_of_short_and_long_values()
    {
        for (var length = 1; length <= 40; length++)
        {
            for (var position = 0; position < length; position++)
            {
                foreach (var c in Escaped)
                {
                    var value = new byte[length];
                    value.AsSpan().Fill((byte)'a');
                    value[position] = c;

                    var written = Write(value);

                    var raw = Array.FindIndex(written, static b => b < 0x20);
                    Assert.True(raw < 0, $"0x{c:X2} at {position} of {length} bytes: written raw at {raw}");
                    using var doc = JsonDocument.Parse(written);
                    Assert.Equal(Encoding.ASCII.GetString(value), doc.RootElement.GetProperty("v").GetString());
                }
            }
        }
    }

    [Fact]
    public void A_value_sliced_from_a_larger_buffer_is_escaped_only_within_its_bounds()
    {
        for (var length = 1; length <= 64; length++)
        {
            // The value is followed by quotes: looking past its end would find one to escape that is not in it.
            var backing = new byte[length + 16];
            backing.AsSpan(0, length).Fill((byte)'a');
            backing.AsSpan(length).Fill((byte)'"');

            var written = Write(backing.AsSpan(0, length));

            Assert.Equal($$"""{"v":"{{new string('a', length)}}"}""", Encoding.ASCII.GetString(written));
        }
    }

    private byte[] Write(ReadOnlySpan<byte> value)
    {
        _json.Begin();
        _json.String("\"v\":"u8, value);
        return _json.End().ToArray();
    }
}
