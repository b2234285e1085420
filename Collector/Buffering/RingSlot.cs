using System.Buffers;
using System.Net;
using System.Text;
using Beacon.Parser.Input;
using Beacon.Router.Routing;
using Beacon.Router.Sinks;

namespace Beacon.Collector.Buffering;

/// <summary>
/// One pre-allocated record in the <see cref="BeaconRing"/>. The edge copies a request's bytes in;
/// the pipeline reads them back as a <see cref="RawBeacon"/>. Its buffer is reused record after
/// record and only grows, so steady-state traffic allocates nothing.
/// </summary>
public sealed class RingSlot
{
    /// <summary>Vyukov's per-slot sequence: equals the claim position when free, position + 1 when published.</summary>
    internal long Sequence;

    private byte[] _buffer;
    private int _length;
    private int _queryEnd, _userAgentEnd, _refererEnd, _routeEnd, _addressEnd, _forwardedForEnd;

    internal RingSlot(long sequence, int initialBytes)
    {
        Sequence = sequence;
        _buffer = new byte[initialBytes];
    }

    public Priority Priority { get; internal set; }

    public BeaconTransport Transport { get; private set; }

    public long ReceivedAtMs { get; private set; }

    public Guid VisitorId { get; private set; }

    /// <summary>Who waits for this record to be durable: a batch request; null for pixels (fire and forget).</summary>
    public IRecordAcknowledgement? Acknowledgement { get; private set; }

    /// <summary>The client asked for anonymous mode.</summary>
    public bool Anonymous { get; private set; }

    /// <summary>False when the producer failed mid-copy: the pipeline skips the slot.</summary>
    public bool IsComplete { get; private set; }

    /// <summary>Bytes this slot's buffer holds now (it grows for big records and stays grown).</summary>
    public int Capacity => _buffer.Length;

    public RawBeacon AsRawBeacon()
    {
        var data = _buffer.AsSpan(0, _length);
        return new RawBeacon(
            Transport,
            data[.._queryEnd],
            data[_queryEnd.._userAgentEnd],
            data[_userAgentEnd.._refererEnd],
            data[_refererEnd.._routeEnd],
            data[_routeEnd.._addressEnd],
            ReceivedAtMs,
            VisitorId)
        {
            ForwardedFor = data[_addressEnd.._forwardedForEnd],
            Forwarded = data[_forwardedForEnd..],
            Anonymous = Anonymous,
        };
    }

    /// <summary>Starts a new record: the parameters come next via <see cref="WriteQuery"/>.</summary>
    internal void Begin(BeaconTransport transport, long receivedAtMs, Guid visitorId, bool anonymous = false,
        IRecordAcknowledgement? acknowledgement = null)
    {
        IsComplete = false;
        Acknowledgement = acknowledgement;
        Anonymous = anonymous;
        Transport = transport;
        ReceivedAtMs = receivedAtMs;
        VisitorId = visitorId;
        _length = 0;
    }

    /// <summary>
    /// Writes the record's parameters: the URL's query string, then a beacon body's <c>k=v&amp;…</c>
    /// (trackers often put common parameters in the URL and the event in the body).
    /// </summary>
    internal void WriteQuery(ReadOnlySpan<char> urlQuery, in ReadOnlySequence<byte> body = default)
    {
        _queryEnd = Append(urlQuery);
        if (body.IsEmpty)
        {
            return;
        }

        EnsureFree(checked((int)body.Length) + 1);
        if (!urlQuery.IsEmpty)
        {
            _buffer[_length++] = (byte)'&';
        }

        body.CopyTo(_buffer.AsSpan(_length));
        _length += (int)body.Length;
        _queryEnd = _length;
    }

    /// <summary>
    /// Writes one batch event's parameters: the batch-level ones, then the event's own, so that the
    /// decoder's "last one wins" lets the event override the batch.
    /// </summary>
    internal void WriteParameters(ReadOnlySpan<byte> common, ReadOnlySpan<byte> own)
    {
        EnsureFree(common.Length + own.Length + 1);
        common.CopyTo(_buffer.AsSpan(_length));
        _length += common.Length;
        if (!common.IsEmpty && !own.IsEmpty)
        {
            _buffer[_length++] = (byte)'&';
        }

        own.CopyTo(_buffer.AsSpan(_length));
        _length += own.Length;
        _queryEnd = _length;
    }

    /// <summary>Adds the request's headers, route and addresses after the query and marks the record complete.</summary>
    internal void WriteContext(
        ReadOnlySpan<char> userAgent,
        ReadOnlySpan<char> referer,
        ReadOnlySpan<char> route,
        IPAddress? clientAddress,
        ReadOnlySpan<char> forwardedFor = default,
        ReadOnlySpan<char> forwarded = default)
    {
        _userAgentEnd = Append(userAgent);
        _refererEnd = Append(referer);
        _routeEnd = Append(route);
        if (clientAddress is not null)
        {
            if (clientAddress.IsIPv4MappedToIPv6)
            {
                clientAddress = clientAddress.MapToIPv4();
            }

            EnsureFree(64);
            clientAddress.TryFormat(_buffer.AsSpan(_length), out var written);
            _length += written;
        }

        _addressEnd = _length;
        _forwardedForEnd = Append(forwardedFor);
        Append(forwarded);
        IsComplete = true;
    }

    private int Append(ReadOnlySpan<char> text)
    {
        if (text.Length * 3 > _buffer.Length - _length)
        {
            EnsureFree(Encoding.UTF8.GetByteCount(text));
        }

        _length += Encoding.UTF8.GetBytes(text, _buffer.AsSpan(_length));
        return _length;
    }

    private void EnsureFree(int bytes)
    {
        if (_buffer.Length - _length < bytes)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + bytes));
        }
    }
}
