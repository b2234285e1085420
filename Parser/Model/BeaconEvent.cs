using System.Runtime.CompilerServices;
using System.Text;
using Beacon.Parser.Decoding;
using Beacon.Parser.Enrichment;
using Beacon.Parser.Input;

namespace Beacon.Parser.Model;

/// <summary>
/// One decoded beacon. A worker owns one instance and reuses it for every record, so decoding
/// allocates nothing: values are UTF-8 ranges over a buffer the instance keeps. Read the values
/// before the next <see cref="Decoding.BeaconDecoder.Decode"/>.
/// </summary>
public sealed class BeaconEvent
{
    private byte[] _buffer = new byte[4096];
    private int _used;
    private Utf8Range[] _propertyKeys = new Utf8Range[16];
    private Utf8Range[] _propertyValues = new Utf8Range[16];
    private FieldValues _fields; // by EventField: the string ones
    private QueryPart[] _parts = new QueryPart[512];
    private ulong[] _marks = new ulong[24];
    private int[] _percents = new int[128];
    private ChannelValues _channel;
    private readonly Utf8Range[] _truncated = new Utf8Range[MaxTruncated];
    private Utf8Range _userAgent, _route, _clientAddress;
    private Guid _generatedEventId;

    public BeaconTransport Transport { get; private set; }

    /// <summary>Why the record is rejected; <see cref="RejectReason.None"/> for a good record.</summary>
    public RejectReason RejectReason { get; internal set; }

    /// <summary>The parameter that caused the rejection, when one did.</summary>
    public ReadOnlySpan<byte> RejectedParameter => Slice(_rejectedParameter);

    public ReadOnlySpan<byte> EventType => Field(EventField.EventType);

    public ReadOnlySpan<byte> App => Field(EventField.App);

    public ReadOnlySpan<byte> Platform => Field(EventField.Platform);

    public ReadOnlySpan<byte> Url => Field(EventField.Url);

    /// <summary>The referrer the tracker sent (<c>r</c>), else the HTTP Referer header.</summary>
    public ReadOnlySpan<byte> Referrer => Field(EventField.Referrer);

    public ReadOnlySpan<byte> UserId => Field(EventField.UserId);

    public ReadOnlySpan<byte> SessionId => Field(EventField.SessionId);

    /// <summary>The event id the client sent (<c>eid</c>), for de-duplication; empty when none.</summary>
    public ReadOnlySpan<byte> ClientEventId => Field(EventField.ClientEventId);

    /// <summary>SPM position of what the event is about: <c>site.page.block.position</c>.</summary>
    public ReadOnlySpan<byte> Spm => Field(EventField.Spm);

    /// <summary>The referrer's referrer, carried from the previous page (path reconstruction).</summary>
    public ReadOnlySpan<byte> ReferrerReferrer => Field(EventField.ReferrerReferrer);

    /// <summary>Pass-through: the SPM position on the previous page that led here.</summary>
    public ReadOnlySpan<byte> SourceSpm => Field(EventField.SourceSpm);

    /// <summary>Pass-through: the previous page's own <see cref="SourceSpm"/> (the source of the source).</summary>
    public ReadOnlySpan<byte> SourceSourceSpm => Field(EventField.SourceSourceSpm);

    /// <summary>How the page was reached: <c>navigate</c>, <c>reload</c>, <c>back_forward</c>, <c>spa</c>.</summary>
    public ReadOnlySpan<byte> Navigation => Field(EventField.Navigation);

    /// <summary>Id of the page view an event belongs to, so clicks and exposures join their page view.</summary>
    public ReadOnlySpan<byte> PageViewId => Field(EventField.PageViewId);

    /// <summary>Page-leave dwell time, milliseconds the page was visible.</summary>
    public long? DwellMs { get; internal set; }

    /// <summary>A channel-attribution code read from the page URL (<c>utm_*</c>, <c>source</c>, <c>ref</c>); empty when absent.</summary>
    public ReadOnlySpan<byte> Channel(ChannelField field) => Slice(_channel[(int)field]);

    /// <summary>Whether the page URL carried any channel-attribution code.</summary>
    public bool HasChannel { get; private set; }

    /// <summary>Parameters whose values were cut to their limit (configured to truncate, not reject).</summary>
    public int TruncatedCount { get; private set; }

    public ReadOnlySpan<byte> Truncated(int index) => Slice(_truncated[index]);

    /// <summary>The sending SDK as <c>name/version</c> (e.g. <c>js/1.4.0</c>); config rules can scope by it.</summary>
    public ReadOnlySpan<byte> Sdk => Field(EventField.Sdk);

    /// <summary>A time-ordered id (UUIDv7 at the receive time), made on first use: only records without a client id need one.</summary>
    public Guid GeneratedEventId => _generatedEventId == Guid.Empty
        ? _generatedEventId = EventIds.NewVersion7(ReceivedAtMs)
        : _generatedEventId;

    public ReadOnlySpan<byte> UserAgent => Slice(_userAgent);

    /// <summary>
    /// Browser, operating system, device class and bot flag from <see cref="UserAgent"/>; null when the
    /// User-Agent is empty or the record was rejected. Shared with every record of the same User-Agent.
    /// </summary>
    public UserAgentInfo? ParsedUserAgent { get; internal set; }

    /// <summary>A crawler, a script or a headless browser, by its User-Agent. Flagged, not dropped.</summary>
    public bool IsBot => ParsedUserAgent?.IsBot == true;

    /// <summary>The route named in the URL, empty when none.</summary>
    public ReadOnlySpan<byte> Route => Slice(_route);

    public ReadOnlySpan<byte> ClientAddress => Slice(_clientAddress);

    public Guid VisitorId { get; private set; }

    /// <summary>Server receive time, Unix milliseconds.</summary>
    public long ReceivedAtMs { get; private set; }

    /// <summary>Client event time (<c>t</c>), Unix milliseconds; null when not sent.</summary>
    public long? ClientTimeMs { get; internal set; }

    /// <summary>When the client sent the request (<c>st</c>), by its own clock, Unix milliseconds; null when not sent.</summary>
    public long? SentAtMs { get; internal set; }

    /// <summary>
    /// The event's time on the server's clock: the client time shifted by the client's clock skew
    /// (receive time − send time) when both were sent, the client time alone otherwise, else the receive time.
    /// </summary>
    public long EventTimeMs => ClientTimeMs is { } t ? t + (SentAtMs is { } st ? ReceivedAtMs - st : 0) : ReceivedAtMs;

    /// <summary>The client asked for anonymous mode: no visitor id and no address are kept.</summary>
    public bool Anonymous { get; private set; }

    public int PropertyCount { get; private set; }

    public ReadOnlySpan<byte> PropertyKey(int index) => Slice(_propertyKeys[index]);

    public ReadOnlySpan<byte> PropertyValue(int index) => Slice(_propertyValues[index]);

    /// <summary>A field as a string, for tests and tools; the pipeline itself stays on spans.</summary>
    public static string Text(ReadOnlySpan<byte> utf8) => Encoding.UTF8.GetString(utf8);

    private Utf8Range _rejectedParameter;

    /// <summary>Starts a new record: clears every field and makes room for all of <paramref name="raw"/>.</summary>
    internal void Reset(in RawBeacon raw)
    {
        // Decoding never grows input, so the raw length bounds everything this record stores: the
        // query three times (its copy, its escaped parts decoded, then channel codes decoded again out
        // of the page URL; or the query decoded whole, whose slack a query of one block or more fits in
        // the room of the second), plus room for the resolved client address.
        var needed = (3 * raw.Query.Length) + raw.UserAgent.Length + raw.Referer.Length + raw.Route.Length + MaxAddressText;
        if (_buffer.Length < needed)
        {
            _buffer = new byte[Math.Max(needed, _buffer.Length * 2)];
        }

        _used = 0;
        _fields = default; // fixed-size structs: cleared in place with a few vector stores, no call
        _channel = default;
        HasChannel = false;
        TruncatedCount = 0;
        DwellMs = null;
        _rejectedParameter = default;
        PropertyCount = 0;
        RejectReason = RejectReason.None;
        ClientTimeMs = null;
        SentAtMs = null;
        Anonymous = raw.Anonymous;
        Transport = raw.Transport;
        VisitorId = raw.Anonymous ? Guid.Empty : raw.VisitorId;
        ReceivedAtMs = raw.ReceivedAtMs;
        _generatedEventId = Guid.Empty;
        _userAgent = Copy(raw.UserAgent);
        ParsedUserAgent = null;
        _route = Copy(raw.Route);
        _clientAddress = default;
    }

    internal const int MaxAddressText = 64;

    /// <summary>Truncated parameters recorded by name; more are still truncated, just not named.</summary>
    internal const int MaxTruncated = 8;

    internal void SetChannel(ChannelField field, Utf8Range value)
    {
        _channel[(int)field] = value;
        HasChannel = true;
    }

    internal void MarkTruncated(Utf8Range key)
    {
        if (TruncatedCount < MaxTruncated)
        {
            _truncated[TruncatedCount++] = key;
        }
    }

    internal void SetClientAddress(Utf8Range address) => _clientAddress = address;

    /// <summary>The free part of the buffer, to decode the next value into.</summary>
    internal Span<byte> FreeSpace => _buffer.AsSpan(_used);

    /// <summary>Keeps the last <paramref name="length"/> bytes written to <see cref="FreeSpace"/>.</summary>
    internal Utf8Range Commit(int length)
    {
        var range = new Utf8Range(_used, length);
        _used += length;
        return range;
    }

    internal Utf8Range Copy(ReadOnlySpan<byte> value)
    {
        value.CopyTo(FreeSpace);
        return Commit(value.Length);
    }

    /// <summary>Sets a string field (not <see cref="EventField.Property"/>, nor the numbers: <see cref="BeaconDecoder"/> parses those).</summary>
    internal void Set(EventField field, Utf8Range value) => _fields[(int)field] = value;

    /// <summary>Room for the parts of a query of <paramref name="queryLength"/> bytes (<see cref="PairScanner.Scan"/>).</summary>
    internal Span<QueryPart> PartsFor(int queryLength)
    {
        if (_parts.Length <= queryLength)
        {
            _parts = new QueryPart[Math.Max(queryLength + 1, _parts.Length * 2)];
        }

        return _parts;
    }

    /// <summary>Room for the marks of a query of <paramref name="queryLength"/> bytes (<see cref="PairScanner.Scan"/>).</summary>
    internal Span<ulong> MarksFor(int queryLength)
    {
        var words = PairScanner.MarkWords(queryLength);
        if (_marks.Length < words)
        {
            _marks = new ulong[Math.Max(words, _marks.Length * 2)];
        }

        return _marks;
    }

    /// <summary>Room for where the '%'s of a query of <paramref name="queryLength"/> bytes are (<see cref="QueryDecoder.TryDecode"/>).</summary>
    internal Span<int> PercentsFor(int queryLength)
    {
        var slots = QueryDecoder.PercentSlots(queryLength);
        if (_percents.Length < slots)
        {
            _percents = new int[Math.Max(slots, _percents.Length * 2)];
        }

        return _percents;
    }

    /// <summary>Marks the record rejected after decoding, e.g. when a later stage fails on it.</summary>
    public void Reject(RejectReason reason) => Reject(reason, default);

    internal void Reject(RejectReason reason, Utf8Range parameter)
    {
        RejectReason = reason;
        _rejectedParameter = parameter;
    }

    /// <summary>Sets a custom property; a repeated key keeps its first position and its last value.</summary>
    internal bool TrySetProperty(Utf8Range key, Utf8Range value, int maxProperties)
    {
        var name = Slice(key);
        for (var i = 0; i < PropertyCount; i++)
        {
            if (Slice(_propertyKeys[i]).SequenceEqual(name))
            {
                _propertyValues[i] = value;
                return true;
            }
        }

        if (PropertyCount >= maxProperties)
        {
            return false;
        }

        AddProperty(key, value);
        return true;
    }

    private void AddProperty(Utf8Range key, Utf8Range value)
    {
        if (PropertyCount == _propertyKeys.Length)
        {
            Array.Resize(ref _propertyKeys, PropertyCount * 2);
            Array.Resize(ref _propertyValues, PropertyCount * 2);
        }

        _propertyKeys[PropertyCount] = key;
        _propertyValues[PropertyCount] = value;
        PropertyCount++;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)] // on every field of every record
    internal ReadOnlySpan<byte> Slice(Utf8Range range) => _buffer.AsSpan(range.Start, range.Length);

    private ReadOnlySpan<byte> Field(EventField field) => Slice(_fields[(int)field]);

    [InlineArray((int)EventField.Dwell + 1)]
    private struct FieldValues
    {
        private Utf8Range _first;
    }

    [InlineArray((int)ChannelField.Ref + 1)]
    private struct ChannelValues
    {
        private Utf8Range _first;
    }
}
