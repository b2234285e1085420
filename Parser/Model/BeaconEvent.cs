using System.Text;
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
    private Utf8Range _eventType, _app, _platform, _url, _referrer, _userId, _sessionId, _clientEventId, _sdk;
    private Utf8Range _spm, _referrerReferrer, _sourceSpm, _sourceSourceSpm, _navigation, _pageViewId;
    private readonly Utf8Range[] _channel = new Utf8Range[Enum.GetValues<ChannelField>().Length];
    private readonly Utf8Range[] _truncated = new Utf8Range[MaxTruncated];
    private Utf8Range _userAgent, _route, _clientAddress;
    private Guid _generatedEventId;

    public BeaconTransport Transport { get; private set; }

    /// <summary>Why the record is rejected; <see cref="RejectReason.None"/> for a good record.</summary>
    public RejectReason RejectReason { get; internal set; }

    /// <summary>The parameter that caused the rejection, when one did.</summary>
    public ReadOnlySpan<byte> RejectedParameter => Slice(_rejectedParameter);

    public ReadOnlySpan<byte> EventType => Slice(_eventType);

    public ReadOnlySpan<byte> App => Slice(_app);

    public ReadOnlySpan<byte> Platform => Slice(_platform);

    public ReadOnlySpan<byte> Url => Slice(_url);

    /// <summary>The referrer the tracker sent (<c>r</c>), else the HTTP Referer header.</summary>
    public ReadOnlySpan<byte> Referrer => Slice(_referrer);

    public ReadOnlySpan<byte> UserId => Slice(_userId);

    public ReadOnlySpan<byte> SessionId => Slice(_sessionId);

    /// <summary>The event id the client sent (<c>eid</c>), for de-duplication; empty when none.</summary>
    public ReadOnlySpan<byte> ClientEventId => Slice(_clientEventId);

    /// <summary>SPM position of what the event is about: <c>site.page.block.position</c>.</summary>
    public ReadOnlySpan<byte> Spm => Slice(_spm);

    /// <summary>The referrer's referrer, carried from the previous page (path reconstruction).</summary>
    public ReadOnlySpan<byte> ReferrerReferrer => Slice(_referrerReferrer);

    /// <summary>Pass-through: the SPM position on the previous page that led here.</summary>
    public ReadOnlySpan<byte> SourceSpm => Slice(_sourceSpm);

    /// <summary>Pass-through: the previous page's own <see cref="SourceSpm"/> (the source of the source).</summary>
    public ReadOnlySpan<byte> SourceSourceSpm => Slice(_sourceSourceSpm);

    /// <summary>How the page was reached: <c>navigate</c>, <c>reload</c>, <c>back_forward</c>, <c>spa</c>.</summary>
    public ReadOnlySpan<byte> Navigation => Slice(_navigation);

    /// <summary>Id of the page view an event belongs to, so clicks and exposures join their page view.</summary>
    public ReadOnlySpan<byte> PageViewId => Slice(_pageViewId);

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
    public ReadOnlySpan<byte> Sdk => Slice(_sdk);

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
        // query twice (its values, then channel codes decoded again out of the page URL), plus room
        // for the resolved client address.
        var needed = (2 * raw.Query.Length) + raw.UserAgent.Length + raw.Referer.Length + raw.Route.Length + MaxAddressText;
        if (_buffer.Length < needed)
        {
            _buffer = new byte[Math.Max(needed, _buffer.Length * 2)];
        }

        _used = 0;
        _eventType = _app = _platform = _url = _referrer = _userId = _sessionId = _clientEventId = _sdk = default;
        _spm = _referrerReferrer = _sourceSpm = _sourceSourceSpm = _navigation = _pageViewId = default;
        Array.Clear(_channel);
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

    internal void Set(EventField field, Utf8Range value)
    {
        switch (field)
        {
            case EventField.EventType: _eventType = value; break;
            case EventField.App: _app = value; break;
            case EventField.Platform: _platform = value; break;
            case EventField.Url: _url = value; break;
            case EventField.Referrer: _referrer = value; break;
            case EventField.UserId: _userId = value; break;
            case EventField.SessionId: _sessionId = value; break;
            case EventField.ClientEventId: _clientEventId = value; break;
            case EventField.Sdk: _sdk = value; break;
            case EventField.Spm: _spm = value; break;
            case EventField.ReferrerReferrer: _referrerReferrer = value; break;
            case EventField.SourceSpm: _sourceSpm = value; break;
            case EventField.SourceSourceSpm: _sourceSourceSpm = value; break;
            case EventField.Navigation: _navigation = value; break;
            case EventField.PageViewId: _pageViewId = value; break;
            default: throw new ArgumentOutOfRangeException(nameof(field), field, "Not a string field.");
        }
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

    internal ReadOnlySpan<byte> Slice(Utf8Range range) => _buffer.AsSpan(range.Start, range.Length);
}
