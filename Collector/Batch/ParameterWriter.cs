using System.Buffers;

namespace Beacon.Collector.Batch;

/// <summary>
/// Writes <c>k=v&amp;…</c> parameters, percent-encoded the way the decoder reads them, into a pooled
/// buffer; <see cref="Mark"/> and <see cref="Truncate"/> take back an event that turned out to be bad.
/// </summary>
internal sealed class ParameterWriter : IDisposable
{
    private byte[] _buffer;
    private int _length;

    public ParameterWriter(int initialBytes) => _buffer = ArrayPool<byte>.Shared.Rent(initialBytes);

    public int Mark => _length;

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

    public ReadOnlySpan<byte> Slice(int start, int length) => _buffer.AsSpan(start, length);

    public void Truncate(int mark) => _length = mark;

    /// <summary>Appends <c>&amp;name=value</c> (no '&amp;' at <paramref name="start"/>: the first parameter of a run).</summary>
    public void Append(int start, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        Ensure(1 + (3 * (name.Length + value.Length)) + 1);
        if (_length > start)
        {
            _buffer[_length++] = (byte)'&';
        }

        Encode(name);
        _buffer[_length++] = (byte)'=';
        Encode(value);
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Escapes what the decoder would read as syntax (<c>% &amp; = + ?</c>) and control bytes; UTF-8 passes through.</summary>
    private void Encode(ReadOnlySpan<byte> text)
    {
        while (!text.IsEmpty)
        {
            var plain = text.IndexOfAny(Special);
            if (plain < 0)
            {
                plain = text.Length;
            }

            text[..plain].CopyTo(_buffer.AsSpan(_length));
            _length += plain;
            if (plain == text.Length)
            {
                return;
            }

            var b = text[plain];
            _buffer[_length++] = (byte)'%';
            _buffer[_length++] = Hex[b >> 4];
            _buffer[_length++] = Hex[b & 0xF];
            text = text[(plain + 1)..];
        }
    }

    private void Ensure(int bytes)
    {
        if (_buffer.Length - _length < bytes)
        {
            var grown = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + bytes));
            _buffer.AsSpan(0, _length).CopyTo(grown);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = grown;
        }
    }

    private static ReadOnlySpan<byte> Hex => "0123456789ABCDEF"u8;

    private static readonly SearchValues<byte> Special = SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Select(static b => (byte)b), (byte)'%', (byte)'&', (byte)'=', (byte)'+', (byte)'?', 0x7F]);
}
