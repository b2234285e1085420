namespace Beacon.Router.Segments;

/// <summary>
/// Reads a segment log oldest first while a writer may still be appending. At a torn or unfinished
/// frame it stops: in the newest segment that may be a write in progress (try again later); in an
/// older one it is a torn tail, which is skipped and counted in <see cref="SkippedTornBytes"/>.
/// </summary>
public sealed class SegmentCursor : IDisposable
{
    private readonly string _directory;
    private readonly string? _only;
    private readonly byte[] _header = new byte[SegmentFormat.FrameHeaderLength];
    private byte[] _body = new byte[4096];
    private FileStream? _segment;
    private long _nextNumber;

    /// <summary>Reads every segment of <paramref name="directory"/>, or only <paramref name="onlySegment"/>.</summary>
    public SegmentCursor(string directory, string? onlySegment = null)
    {
        _directory = directory;
        _only = onlySegment;
    }

    /// <summary>Bytes of torn tails skipped in segments that were followed by newer ones.</summary>
    public long SkippedTornBytes { get; private set; }

    /// <summary>Offset in the current segment after the last good record.</summary>
    public long Position { get; private set; }

    /// <summary>Reads the next whole record; false when there is none (yet).</summary>
    public bool TryRead(out SegmentRecord record)
    {
        record = null!;
        while (true)
        {
            if (_segment is null && !OpenNext(afterFirstRecord: -1))
            {
                return false;
            }

            if (TryReadFrame(_segment!, out record))
            {
                return true;
            }

            // Nothing more here for now. A newer segment means this one is complete (the writer
            // flushes a segment before it creates the next), but the writer may have appended and
            // rolled since our last read: read on before calling anything torn.
            var current = SegmentFormat.FirstRecordOf(_segment!.Name);
            if (_only is not null || !HasNewerSegment(current))
            {
                return false;
            }

            if (TryReadFrame(_segment, out record))
            {
                return true;
            }

            var leftover = _segment.Length - Position;
            if (!OpenNext(current))
            {
                return false;
            }

            SkippedTornBytes += leftover;
        }
    }

    public void Dispose() => _segment?.Dispose();

    private bool TryReadFrame(FileStream segment, out SegmentRecord record)
    {
        record = null!;
        if (segment.Position != Position)
        {
            segment.Position = Position;
        }

        if (segment.ReadAtLeast(_header, _header.Length, throwOnEndOfStream: false) < _header.Length
            || !SegmentFormat.TryReadFrameHeader(_header, out var bodyLength, out var crc))
        {
            return false;
        }

        if (_body.Length < bodyLength)
        {
            _body = new byte[Math.Max(bodyLength, _body.Length * 2)];
        }

        var body = _body.AsSpan(0, bodyLength);
        if (segment.ReadAtLeast(body, bodyLength, throwOnEndOfStream: false) < bodyLength
            || !SegmentFormat.TryReadBody(body, crc, out var timestampMs, out var keyLength))
        {
            return false;
        }

        var key = body.Slice(SegmentFormat.BodyPrefixLength, keyLength).ToArray();
        var value = body[(SegmentFormat.BodyPrefixLength + keyLength)..].ToArray();
        record = new SegmentRecord(_nextNumber++, timestampMs, key, value);
        Position += SegmentFormat.FrameHeaderLength + bodyLength;
        return true;
    }

    private bool HasNewerSegment(long firstRecord) =>
        SegmentFormat.ListSegments(_directory).Any(path => SegmentFormat.FirstRecordOf(path) > firstRecord);

    /// <summary>Opens the first segment after the one starting at <paramref name="afterFirstRecord"/>.</summary>
    private bool OpenNext(long afterFirstRecord)
    {
        var candidates = _only is not null ? [_only] : SegmentFormat.ListSegments(_directory);
        foreach (var path in candidates)
        {
            var first = SegmentFormat.FirstRecordOf(path);
            if (first <= afterFirstRecord)
            {
                continue;
            }

            FileStream stream;
            try
            {
                stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 64 * 1024);
            }
            catch (FileNotFoundException)
            {
                continue; // removed by retention between listing and opening
            }

            Span<byte> header = stackalloc byte[SegmentFormat.FileHeaderLength];
            if (stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length || !SegmentFormat.IsFileHeader(header))
            {
                // A segment still being created, or not ours: come back to it.
                stream.Dispose();
                return false;
            }

            _segment?.Dispose();
            _segment = stream;
            _nextNumber = first;
            Position = SegmentFormat.FileHeaderLength;
            return true;
        }

        return false;
    }
}
