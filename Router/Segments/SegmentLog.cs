namespace Beacon.Router.Segments;

/// <summary>
/// An append-only log of framed records in one directory: the embedded sink's topic and, in front
/// of Kafka, the spool. One writer; readers use <see cref="SegmentCursor"/> concurrently.
/// On open, a torn tail left by a crash is cut off so appends continue after the last good record.
/// A write that fails (a full disk) loses nothing already appended: a frame goes into the file stream's
/// buffer whole (the log flushes first when it would not fit) or not at all, and a buffer that could not
/// be written is kept and written again, at the same offset, by the next flush.
/// </summary>
public sealed class SegmentLog : IDisposable
{
    private readonly string _directory;
    private readonly SegmentLogOptions _options;
    private readonly TimeProvider _time;
    private readonly List<ClosedSegment> _closed = [];
    private byte[] _frame = [];
    private int _buffered;
    private FileStream _current;
    private string _currentPath = "";
    private long _currentFirstRecord;
    private long _currentBytes;
    private DateTimeOffset _currentOpenedAt;
    private bool _disposed;
    private long _closedBytes;

    public SegmentLog(string directory, SegmentLogOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _directory = directory;
        _options = options;
        _time = time ?? TimeProvider.System;
        Directory.CreateDirectory(directory);
        var segments = SegmentFormat.ListSegments(directory);
        for (var i = 0; i < segments.Count - 1; i++)
        {
            // Segments are numbered consecutively, so the next one's name says where this one ends.
            var file = new FileInfo(segments[i]);
            var records = SegmentFormat.FirstRecordOf(segments[i + 1]) - SegmentFormat.FirstRecordOf(segments[i]);
            _closed.Add(new ClosedSegment(segments[i], file.Length, file.LastWriteTimeUtc, records));
            _closedBytes += file.Length;
        }

        if (segments.Count == 0)
        {
            _current = Create(0);
        }
        else
        {
            _current = Recover(segments[^1]);
        }
    }

    /// <summary>The number the next appended record gets: records ever appended to this log.</summary>
    public long NextRecord { get; private set; }

    /// <summary>Bytes a torn tail held when the log was opened (cut off); 0 after a clean shutdown.</summary>
    public long RecoveredTornBytes { get; private set; }

    /// <summary>Bytes on disk across all segments, the open one included.</summary>
    public long TotalBytes => _closedBytes + _currentBytes;

    public int SegmentCount => _closed.Count + 1;

    /// <summary>Records on disk: appended and not yet deleted with their segment.</summary>
    public long RecordCount => _closed.Sum(static s => s.Records) + (NextRecord - _currentFirstRecord);

    /// <summary>Segments no longer written to, oldest first: safe to read whole, replay and delete.</summary>
    public IReadOnlyList<string> ClosedSegments => [.. _closed.Select(static s => s.Path)];

    /// <summary>The oldest closed segment, or null when there is none.</summary>
    public string? OldestClosedSegment => _closed.Count > 0 ? _closed[0].Path : null;

    public string DirectoryPath => _directory;

    /// <summary>Whether the next append starts a new segment (and so writes a file header too): the current one is full.</summary>
    public bool NextAppendStartsSegment => _currentBytes >= _options.SegmentBytes;

    public void Append(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, long timestampMs)
    {
        if (NextAppendStartsSegment)
        {
            Roll();
        }

        // The stream's buffer must never hold a torn frame for a later flush to write: if the frame does
        // not fit in what is left of it, flush first (a failure there leaves none of the frame buffered).
        var start = SegmentFormat.FrameHeaderLength + SegmentFormat.BodyPrefixLength;
        var length = start + key.Length + value.Length;
        if (_buffered > 0 && _buffered + length > _options.WriteBufferBytes)
        {
            Flush(durable: false);
        }

        if (length <= _options.WriteBufferBytes)
        {
            // It fits: three copies into the buffer, no I/O, nothing that can fail half-way.
            Span<byte> head = stackalloc byte[start];
            SegmentFormat.WriteFrameStart(head, timestampMs, key, value);
            _current.Write(head);
            _current.Write(key);
            _current.Write(value);
            _buffered += length;
        }
        else
        {
            // Larger than the buffer: one contiguous write, which the stream passes straight to the file.
            if (_frame.Length < length)
            {
                _frame = new byte[Math.Max(length, _frame.Length * 2)];
            }

            SegmentFormat.WriteFrameStart(_frame.AsSpan(0, start), timestampMs, key, value);
            key.CopyTo(_frame.AsSpan(start));
            value.CopyTo(_frame.AsSpan(start + key.Length));
            _current.Write(_frame, 0, length);
            _buffered = 0;
        }

        _currentBytes += length;
        NextRecord++;
    }

    /// <summary>Hands buffered records to the OS (visible to readers); with <paramref name="durable"/>, fsyncs.</summary>
    public void Flush(bool durable)
    {
        _current.Flush(durable);
        _buffered = 0;
    }

    /// <summary>Rolls an old segment and applies retention; cheap enough to call often.</summary>
    public void Maintain()
    {
        var now = _time.GetUtcNow();
        if (now - _currentOpenedAt >= _options.SegmentMaxAge && NextRecord > _currentFirstRecord)
        {
            Roll();
        }

        var total = TotalBytes;
        while (_closed.Count > 0
            && (total > _options.RetentionMaxBytes || now - _closed[0].LastWrite > _options.RetentionMaxAge))
        {
            total -= _closed[0].Bytes;
            Delete(_closed[0].Path);
        }
    }

    /// <summary>Closes the open segment (when it holds records) so that all of it can be replayed and deleted.</summary>
    public bool Seal()
    {
        if (NextRecord == _currentFirstRecord)
        {
            return false;
        }

        Roll();
        return true;
    }

    /// <summary>Deletes a closed segment; returns how many records it held.</summary>
    public long Delete(string closedSegment)
    {
        var index = _closed.FindIndex(s => s.Path == closedSegment);
        if (index < 0)
        {
            throw new ArgumentException($"'{closedSegment}' is not a closed segment of this log.", nameof(closedSegment));
        }

        var records = _closed[index].Records;
        _closedBytes -= _closed[index].Bytes;
        _closed.RemoveAt(index);
        File.Delete(closedSegment);
        return records;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _current.Flush(flushToDisk: true);
        _current.Dispose();
    }

    private void Roll()
    {
        if (NextRecord == _currentFirstRecord)
        {
            return;
        }

        var closed = new ClosedSegment(_currentPath, _currentBytes, _time.GetUtcNow(), NextRecord - _currentFirstRecord);
        _current.Flush(flushToDisk: true);

        // The old segment stays the open one until its successor exists.
        var next = Create(NextRecord);
        _closed.Add(closed);
        _closedBytes += closed.Bytes;
        _current.Dispose();
        _current = next;
        Maintain();
    }

    /// <summary>Disposing writes the buffer again; when that fails as well, the first failure is the one to report.</summary>
    private static void DisposeQuietly(FileStream stream)
    {
        try
        {
            stream.Dispose();
        }
#pragma warning disable CA1031 // see the summary: the first failure is the one reported
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private FileStream Create(long firstRecord)
    {
        var path = Path.Combine(_directory, SegmentFormat.FileName(firstRecord));
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read | FileShare.Delete, _options.WriteBufferBytes);
        try
        {
            Span<byte> header = stackalloc byte[SegmentFormat.FileHeaderLength];
            SegmentFormat.WriteFileHeader(header);
            stream.Write(header);
            stream.Flush(flushToDisk: true);
        }
        catch
        {
            // A segment that could not get its header is not one: the next roll creates it again.
            DisposeQuietly(stream);
            File.Delete(path);
            throw;
        }

        _currentPath = path;
        _buffered = 0;
        _currentFirstRecord = firstRecord;
        NextRecord = firstRecord;
        _currentBytes = SegmentFormat.FileHeaderLength;
        _currentOpenedAt = _time.GetUtcNow();
        return stream;
    }

    /// <summary>Opens the last segment for appending after its last good frame.</summary>
    private FileStream Recover(string path)
    {
        var firstRecord = SegmentFormat.FirstRecordOf(path);
        long goodLength;
        long records = 0;
        using (var cursor = new SegmentCursor(_directory, path))
        {
            while (cursor.TryRead(out _))
            {
                records++;
            }

            goodLength = cursor.Position;
        }

        var length = new FileInfo(path).Length;
        if (goodLength < SegmentFormat.FileHeaderLength)
        {
            // Not even a whole header: the crash came while creating the segment. A whole header
            // that is not ours (another version, another format) may hold data: never delete it.
            if (!HeaderIsTorn(path))
            {
                throw new InvalidDataException(
                    $"'{path}' does not start with a version {SegmentFormat.Version} segment header, so it is left as it is and the log is not opened. Move it out of '{_directory}' to start the log afresh.");
            }

            File.Delete(path);
            RecoveredTornBytes = length;
            return Create(firstRecord);
        }

        var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read | FileShare.Delete, _options.WriteBufferBytes);
        RecoveredTornBytes = length - goodLength;
        stream.SetLength(goodLength);
        stream.Position = goodLength;
        _currentPath = path;
        _buffered = 0;
        _currentFirstRecord = firstRecord;
        NextRecord = firstRecord + records;
        _currentBytes = goodLength;
        _currentOpenedAt = _time.GetUtcNow();
        return stream;
    }

    /// <summary>Whether a segment's header is cut short or never written (zeros): what a crash while creating it leaves.</summary>
    private static bool HeaderIsTorn(string path)
    {
        Span<byte> header = stackalloc byte[SegmentFormat.FileHeaderLength];
        using var file = File.OpenHandle(path);
        var read = RandomAccess.Read(file, header, 0);
        return read < header.Length || !header.ContainsAnyExcept((byte)0);
    }

    private readonly record struct ClosedSegment(string Path, long Bytes, DateTimeOffset LastWrite, long Records);
}
