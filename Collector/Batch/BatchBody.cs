using System.Buffers;
using System.IO.Compression;

namespace Beacon.Collector.Batch;

/// <summary>
/// A batch's JSON, decompressed into one pooled buffer that never grows past the limit: decompression
/// stops at <c>limit + 1</c> bytes, so a bomb costs at most the limit in memory and the work to reach it.
/// Dispose returns the buffer.
/// </summary>
internal sealed class BatchBody : IDisposable
{
    private const int InitialBytes = 64 * 1024;
    private byte[] _buffer;
    private int _length;
    private readonly int _limit;

    private BatchBody(int limit, int expected)
    {
        _limit = limit;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Clamp(expected, InitialBytes, limit + 1));
    }

    public ReadOnlySpan<byte> Json => _buffer.AsSpan(0, _length);

    /// <summary>The content codings Beacon decodes; anything else is refused with 415.</summary>
    public static bool IsSupported(string? encoding) =>
        string.IsNullOrEmpty(encoding) || encoding is "identity" or "gzip" or "x-gzip" or "br" or "zstd";

    /// <summary>
    /// Decodes <paramref name="body"/> (as sent, with <paramref name="encoding"/>) into a new body, or returns
    /// the refusal: <see cref="BatchRefusal.DecompressedTooLarge"/> or <see cref="BatchRefusal.InvalidCompression"/>.
    /// </summary>
    public static BatchRefusal? TryDecode(in ReadOnlySequence<byte> body, string? encoding, int limit, out BatchBody? decoded)
    {
        var result = new BatchBody(limit, encoding is null or "" or "identity" ? (int)Math.Min(body.Length, limit + 1L) : (int)Math.Min(body.Length * 4, limit + 1L));
        BatchRefusal? refusal;
        try
        {
            refusal = encoding switch
            {
                null or "" or "identity" => result.CopyFrom(body),
                "gzip" or "x-gzip" => result.Inflate(body, static s => new GZipStream(s, CompressionMode.Decompress)),
                "br" => result.Inflate(body, static s => new BrotliStream(s, CompressionMode.Decompress)),
                "zstd" => result.Unzstd(body),
                _ => throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "Check IsSupported first."),
            };
        }
        catch (InvalidDataException)
        {
            refusal = BatchRefusal.InvalidCompression;
        }

        if (refusal is not null)
        {
            result.Dispose();
            decoded = null;
            return refusal;
        }

        decoded = result;
        return null;
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private BatchRefusal? CopyFrom(in ReadOnlySequence<byte> body)
    {
        if (body.Length > _limit)
        {
            return BatchRefusal.DecompressedTooLarge;
        }

        body.CopyTo(FreeSpace((int)body.Length));
        _length = (int)body.Length;
        return null;
    }

    private BatchRefusal? Inflate(in ReadOnlySequence<byte> body, Func<Stream, Stream> decompressor)
    {
        using var source = decompressor(new SequenceStream(body));
        while (true)
        {
            var read = source.Read(FreeSpace(1));
            if (read == 0)
            {
                return null;
            }

            _length += read;
            if (_length > _limit)
            {
                return BatchRefusal.DecompressedTooLarge;
            }
        }
    }

    private unsafe BatchRefusal? Unzstd(in ReadOnlySequence<byte> body)
    {
        var stream = Zstd.CreateDStream();
        if (stream == 0)
        {
            throw new InsufficientMemoryException("ZSTD_createDStream failed");
        }

        try
        {
            Zstd.InitDStream(stream);
            nuint last = 0;
            foreach (var segment in body)
            {
                fixed (byte* input = segment.Span)
                {
                    var inBuffer = new Zstd.Buffer { Data = input, Size = (nuint)segment.Length };
                    while (inBuffer.Position < inBuffer.Size || last > 0)
                    {
                        var free = FreeSpace(1);
                        fixed (byte* output = free)
                        {
                            var outBuffer = new Zstd.Buffer { Data = output, Size = (nuint)free.Length };
                            last = Zstd.DecompressStream(stream, &outBuffer, &inBuffer);
                            if (Zstd.IsError(last) != 0)
                            {
                                return BatchRefusal.InvalidCompression;
                            }

                            _length += (int)outBuffer.Position;
                            if (_length > _limit)
                            {
                                return BatchRefusal.DecompressedTooLarge;
                            }

                            // Input used up and the output not full: the decoder needs more input to go on.
                            if (inBuffer.Position == inBuffer.Size && outBuffer.Position < outBuffer.Size)
                            {
                                break;
                            }
                        }
                    }
                }
            }

            // A non-zero hint after all the input: the last frame is cut short.
            return last == 0 && _length > 0 ? null : BatchRefusal.InvalidCompression;
        }
        finally
        {
            Zstd.FreeDStream(stream);
        }
    }

    /// <summary>At least <paramref name="bytes"/> free bytes, growing (by doubling, up to limit + 1) when needed.</summary>
    private Span<byte> FreeSpace(int bytes)
    {
        if (_buffer.Length - _length < bytes)
        {
            var grown = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Max(_buffer.Length * 2L, _length + (long)bytes), _limit + 1L));
            _buffer.AsSpan(0, _length).CopyTo(grown);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = grown;
        }

        // Never hand out room past limit + 1: one byte over is all it takes to know the limit is crossed.
        return _buffer.AsSpan(_length, (int)Math.Min(_buffer.Length - _length, _limit + 1L - _length));
    }
}
