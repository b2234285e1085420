using System.Buffers.Text;
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Beacon.Router.Records;

/// <summary>
/// Appends one record's JSON to a reusable buffer. Record values are well-formed UTF-8 (the decoder
/// checked them), so only what JSON requires is escaped — quote, backslash, control characters — and
/// the rest is copied as it is. Member names come pre-quoted with their colon (<c>"app":</c>). It does
/// less than <c>Utf8JsonWriter</c> (no state checks, no encoder): route + serialise took 0.75× the time
/// with it (docs/performance.md).
/// </summary>
internal sealed class JsonRecordBuffer(int capacity = 4096)
{
    private byte[] _buffer = new byte[capacity];
    private int _length;
    private bool _first = true; // no comma before the next member or element

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    /// <summary>Starts a new record: <c>{</c>.</summary>
    public void Begin()
    {
        _length = 0;
        Append((byte)'{');
        _first = true;
    }

    /// <summary>Ends the record and returns it; valid until the next <see cref="Begin"/>.</summary>
    public ReadOnlySpan<byte> End()
    {
        EndObject();
        return Written;
    }

    public void StartObject(ReadOnlySpan<byte> name) => Open(name, (byte)'{');

    public void EndObject() => Close((byte)'}');

    public void StartArray(ReadOnlySpan<byte> name) => Open(name, (byte)'[');

    public void EndArray() => Close((byte)']');

    public void String(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        Name(name);
        Quoted(value);
    }

    /// <summary>A string element of an array.</summary>
    public void String(ReadOnlySpan<byte> value)
    {
        Separator();
        Quoted(value);
    }

    /// <summary>A string member, omitted when empty.</summary>
    public void StringIfPresent(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (!value.IsEmpty)
        {
            String(name, value);
        }
    }

    /// <summary>A member whose name is data (a custom property's key): quoted and escaped like a value.</summary>
    public void Property(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        Separator();
        Quoted(key);
        Append((byte)':');
        Quoted(value);
    }

    /// <summary>A GUID in its 36-character form.</summary>
    public void String(ReadOnlySpan<byte> name, Guid value)
    {
        Name(name);
        Ensure(38);
        _buffer[_length++] = (byte)'"';
        value.TryFormat(_buffer.AsSpan(_length), out var written, "D");
        _length += written;
        _buffer[_length++] = (byte)'"';
    }

    public void Number(ReadOnlySpan<byte> name, long value)
    {
        Name(name);
        Ensure(20);
        Utf8Formatter.TryFormat(value, _buffer.AsSpan(_length), out var written);
        _length += written;
    }

    /// <summary>The shortest text that reads back as the same double, as <c>Utf8JsonWriter</c> writes it.</summary>
    public void Number(ReadOnlySpan<byte> name, double value)
    {
        Name(name);
        Ensure(32);
        value.TryFormat(_buffer.AsSpan(_length), out var written, default, CultureInfo.InvariantCulture);
        _length += written;
    }

    public void Boolean(ReadOnlySpan<byte> name, bool value)
    {
        Name(name);
        Raw(value ? "true"u8 : "false"u8);
    }

    /// <summary>A member whose value is JSON already (e.g. a cached object).</summary>
    public void Json(ReadOnlySpan<byte> name, ReadOnlySpan<byte> json)
    {
        Name(name);
        Raw(json);
    }

    public void Base64String(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        Name(name);
        Ensure(Base64.GetMaxEncodedToUtf8Length(value.Length) + 2);
        _buffer[_length++] = (byte)'"';
        Base64.EncodeToUtf8(value, _buffer.AsSpan(_length), out _, out var written);
        _length += written;
        _buffer[_length++] = (byte)'"';
    }

    private void Open(ReadOnlySpan<byte> name, byte bracket)
    {
        Name(name);
        Append(bracket);
        _first = true;
    }

    private void Close(byte bracket)
    {
        Append(bracket);
        _first = false;
    }

    private void Name(ReadOnlySpan<byte> name)
    {
        Separator();
        Raw(name);
    }

    private void Separator()
    {
        if (!_first)
        {
            Append((byte)',');
        }

        _first = false;
    }

    private void Quoted(ReadOnlySpan<byte> value)
    {
        Ensure((6 * value.Length) + 2); // every byte escaped as \u00XX at worst
        _buffer[_length++] = (byte)'"';
        var next = FirstToEscape(value);
        while (next >= 0)
        {
            value[..next].CopyTo(_buffer.AsSpan(_length));
            _length += next;
            Escape(value[next]);
            value = value[(next + 1)..];
            next = FirstToEscape(value);
        }

        value.CopyTo(_buffer.AsSpan(_length));
        _length += value.Length;
        _buffer[_length++] = (byte)'"';
    }

    /// <summary>
    /// The first byte JSON needs escaped (a control character, quote or backslash), or -1. Most values
    /// are a few dozen bytes: 16-byte compares, the last one overlapping, beat a general search's set-up.
    /// </summary>
    private static int FirstToEscape(ReadOnlySpan<byte> value)
    {
        if (value.Length < 16)
        {
            for (var i = 0; i < value.Length; i++)
            {
                if (value[i] is < 0x20 or (byte)'"' or (byte)'\\')
                {
                    return i;
                }
            }

            return -1;
        }

        ref var start = ref MemoryMarshal.GetReference(value);
        for (var offset = 0; ; offset += 16)
        {
            var at = Math.Min(offset, value.Length - 16);
            var bytes = Vector128.LoadUnsafe(ref start, (nuint)at);
            var found = (Vector128.LessThan(bytes, Vector128.Create((byte)0x20))
                | Vector128.Equals(bytes, Vector128.Create((byte)'"'))
                | Vector128.Equals(bytes, Vector128.Create((byte)'\\'))).ExtractMostSignificantBits();
            if (found != 0)
            {
                return at + BitOperations.TrailingZeroCount(found);
            }

            if (at + 16 >= value.Length)
            {
                return -1;
            }
        }
    }

    private void Escape(byte c)
    {
        var shortForm = c switch
        {
            (byte)'"' => (byte)'"',
            (byte)'\\' => (byte)'\\',
            (byte)'\n' => (byte)'n',
            (byte)'\r' => (byte)'r',
            (byte)'\t' => (byte)'t',
            (byte)'\b' => (byte)'b',
            (byte)'\f' => (byte)'f',
            _ => (byte)0,
        };
        _buffer[_length++] = (byte)'\\';
        if (shortForm != 0)
        {
            _buffer[_length++] = shortForm;
            return;
        }

        "u00"u8.CopyTo(_buffer.AsSpan(_length));
        _buffer[_length + 3] = (byte)"0123456789ABCDEF"[c >> 4];
        _buffer[_length + 4] = (byte)"0123456789ABCDEF"[c & 0xF];
        _length += 5;
    }

    private void Raw(ReadOnlySpan<byte> bytes)
    {
        Ensure(bytes.Length);
        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    private void Append(byte b)
    {
        Ensure(1);
        _buffer[_length++] = b;
    }

    private void Ensure(int more)
    {
        if (_length + more > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + more));
        }
    }
}
