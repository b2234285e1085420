using System.Buffers;
using Beacon.Router.Routing;

namespace Beacon.Collector.Batch;

/// <summary>
/// A batch after parsing: its batch-level parameters (<see cref="Common"/>), each accepted event's own
/// parameters, key and priority, the rejected events by index; or why the whole batch is refused.
/// Holds pooled buffers: dispose it.
/// </summary>
internal sealed class ParsedBatch : IDisposable
{
    private byte[]? _nameScratch;
    private byte[]? _valueScratch;

    public ParsedBatch(int bodyBytes)
    {
        Common = new ParameterWriter(1024);
        Events = new ParameterWriter(Math.Max(4096, bodyBytes + (bodyBytes / 4)));
    }

    /// <summary>Batch-level fields as parameters, written before each event's own.</summary>
    public ParameterWriter Common { get; }

    /// <summary>Every accepted event's own parameters, back to back (see <see cref="Accepted"/>).</summary>
    public ParameterWriter Events { get; }

    public List<BatchEventEntry> Accepted { get; } = [];

    /// <summary>Names of the batch-level custom properties, to count an event's properties once per name.</summary>
    public List<byte[]> CommonPropertyNames { get; } = [];

    public List<(int Index, BatchEventRejection Reason)> Rejected { get; } = [];

    /// <summary>The batch id the body named (<c>batch_id</c>), if any.</summary>
    public string? BatchId { get; set; }

    /// <summary>Whether <see cref="BatchId"/> came from the body's <c>batch_id</c> (else the header's, or generated).</summary>
    public bool BatchIdFromBody { get; set; }

    public bool Anonymous { get; set; }

    /// <summary>Set when the whole batch is refused; <see cref="Message"/> says why, for the client.</summary>
    public BatchRefusal? Refusal { get; private set; }

    public string Message { get; private set; } = "";

    /// <summary>For malformed JSON: byte offset, and 1-based line and column (column in bytes).</summary>
    public (long Offset, long Line, long Column)? Position { get; private set; }

    /// <summary>The limit a 413 crossed.</summary>
    public long? Limit { get; private set; }

    /// <summary>The most important priority among the accepted events: it decides whether the ring admits the batch.</summary>
    public Priority AdmissionPriority => Accepted.Count == 0 ? Priority.P3 : Accepted.Min(static e => e.Priority);

    public void Refuse(BatchRefusal refusal, string message, long? limit = null, (long, long, long)? position = null)
    {
        Refusal = refusal;
        Message = message;
        Limit = limit;
        Position = position;
    }

    /// <summary>Room to unescape a property name into (valid until the next call).</summary>
    public Span<byte> NameScratch(int bytes) => Grow(ref _nameScratch, bytes);

    /// <summary>Room to unescape or compact a value into (valid until the next call).</summary>
    public Span<byte> ValueScratch(int bytes) => Grow(ref _valueScratch, bytes);

    public void Dispose()
    {
        Common.Dispose();
        Events.Dispose();
        Return(ref _nameScratch);
        Return(ref _valueScratch);
    }

    private static Span<byte> Grow(ref byte[]? buffer, int bytes)
    {
        if (buffer is null || buffer.Length < bytes)
        {
            Return(ref buffer);
            buffer = ArrayPool<byte>.Shared.Rent(Math.Max(bytes, 1024));
        }

        return buffer;
    }

    private static void Return(ref byte[]? buffer)
    {
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = null;
        }
    }
}
