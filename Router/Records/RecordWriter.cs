using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Beacon.Parser.Enrichment;
using Beacon.Parser.Input;
using Beacon.Parser.Model;
using Beacon.Router.Routing;

namespace Beacon.Router.Records;

/// <summary>
/// Serialises records as the JSON that lands in the topics (schema <see cref="SchemaVersion"/>,
/// documented in docs/protocol.md). Reuses one buffer: the returned span is valid until the next write.
/// </summary>
public sealed class RecordWriter : IDisposable
{
    /// <summary>Bumped on any change a downstream consumer would notice.</summary>
    public const int SchemaVersion = 1;

    private static readonly JsonEncodedText Schema = JsonEncodedText.Encode("schema");
    private static readonly JsonEncodedText EventId = JsonEncodedText.Encode("event_id");
    private static readonly JsonEncodedText Event = JsonEncodedText.Encode("event");
    private static readonly JsonEncodedText App = JsonEncodedText.Encode("app");
    private static readonly JsonEncodedText Platform = JsonEncodedText.Encode("platform");
    private static readonly JsonEncodedText Route = JsonEncodedText.Encode("route");
    private static readonly JsonEncodedText PriorityName = JsonEncodedText.Encode("priority");
    private static readonly JsonEncodedText SampleRate = JsonEncodedText.Encode("sample_rate");
    private static readonly JsonEncodedText ReceivedAt = JsonEncodedText.Encode("received_at");
    private static readonly JsonEncodedText ClientTime = JsonEncodedText.Encode("client_time");
    private static readonly JsonEncodedText SentAt = JsonEncodedText.Encode("sent_at");
    private static readonly JsonEncodedText EventTime = JsonEncodedText.Encode("event_time");
    private static readonly JsonEncodedText VisitorId = JsonEncodedText.Encode("visitor_id");
    private static readonly JsonEncodedText UserId = JsonEncodedText.Encode("user_id");
    private static readonly JsonEncodedText SessionId = JsonEncodedText.Encode("session_id");
    private static readonly JsonEncodedText Sdk = JsonEncodedText.Encode("sdk");
    private static readonly JsonEncodedText Spm = JsonEncodedText.Encode("spm");
    private static readonly JsonEncodedText ReferrerReferrer = JsonEncodedText.Encode("referrer_referrer");
    private static readonly JsonEncodedText SourceSpm = JsonEncodedText.Encode("source_spm");
    private static readonly JsonEncodedText SourceSourceSpm = JsonEncodedText.Encode("source_source_spm");
    private static readonly JsonEncodedText Navigation = JsonEncodedText.Encode("navigation");
    private static readonly JsonEncodedText PageViewId = JsonEncodedText.Encode("page_view_id");
    private static readonly JsonEncodedText DwellMs = JsonEncodedText.Encode("dwell_ms");
    private static readonly JsonEncodedText Channel = JsonEncodedText.Encode("channel");
    private static readonly JsonEncodedText Truncated = JsonEncodedText.Encode("truncated");
    private static readonly (ChannelField Field, JsonEncodedText Name)[] ChannelNames =
    [
        (ChannelField.UtmSource, JsonEncodedText.Encode("utm_source")),
        (ChannelField.UtmMedium, JsonEncodedText.Encode("utm_medium")),
        (ChannelField.UtmCampaign, JsonEncodedText.Encode("utm_campaign")),
        (ChannelField.UtmTerm, JsonEncodedText.Encode("utm_term")),
        (ChannelField.UtmContent, JsonEncodedText.Encode("utm_content")),
        (ChannelField.Source, JsonEncodedText.Encode("source")),
        (ChannelField.Ref, JsonEncodedText.Encode("ref")),
    ];
    private static readonly JsonEncodedText Url = JsonEncodedText.Encode("url");
    private static readonly JsonEncodedText Referrer = JsonEncodedText.Encode("referrer");
    private static readonly JsonEncodedText UserAgent = JsonEncodedText.Encode("user_agent");
    private static readonly JsonEncodedText Agent = JsonEncodedText.Encode("ua");
    private static readonly JsonEncodedText Browser = JsonEncodedText.Encode("browser");
    private static readonly JsonEncodedText BrowserMajor = JsonEncodedText.Encode("browser_major");
    private static readonly JsonEncodedText Os = JsonEncodedText.Encode("os");
    private static readonly JsonEncodedText OsVersion = JsonEncodedText.Encode("os_version");
    private static readonly JsonEncodedText Device = JsonEncodedText.Encode("device");
    private static readonly JsonEncodedText Bot = JsonEncodedText.Encode("bot");
    private static readonly JsonEncodedText ClientIp = JsonEncodedText.Encode("client_ip");
    private static readonly JsonEncodedText Transport = JsonEncodedText.Encode("transport");
    private static readonly JsonEncodedText Properties = JsonEncodedText.Encode("props");
    private static readonly JsonEncodedText Reason = JsonEncodedText.Encode("reason");
    private static readonly JsonEncodedText Parameter = JsonEncodedText.Encode("parameter");
    private static readonly JsonEncodedText Raw = JsonEncodedText.Encode("raw");
    private static readonly JsonEncodedText RawBase64 = JsonEncodedText.Encode("raw_base64");
    private static readonly JsonEncodedText[] Priorities = [.. Enum.GetValues<Priority>().Select(static p => JsonEncodedText.Encode($"p{(int)p}"))];
    private static readonly JsonEncodedText[] Transports = [JsonEncodedText.Encode("pixel"), JsonEncodedText.Encode("beacon_post"), JsonEncodedText.Encode("batch")];
    private static readonly JsonEncodedText[] DeviceClasses = [.. Enum.GetValues<DeviceClass>().Select(static c => JsonEncodedText.Encode(c.ToString().ToLowerInvariant()))];

    /// <summary>Pre-encoded <c>ua</c> objects, direct-mapped by parse result: user agents repeat, and the parser shares one result per user agent.</summary>
    private const int AgentSlots = 256;

    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly Utf8JsonWriter _json;
    private readonly (UserAgentInfo? Agent, byte[] Json)[] _agents = new (UserAgentInfo?, byte[])[AgentSlots];

    public RecordWriter()
    {
        // Records go to Kafka, not into HTML: keep non-ASCII text readable, escape only what JSON requires.
        _json = new Utf8JsonWriter(_buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true });
    }

    /// <summary>Writes a good event routed to <paramref name="route"/>.</summary>
    public ReadOnlySpan<byte> WriteEvent(BeaconEvent evt, BusinessRoute route, double sampleRate)
    {
        ArgumentNullException.ThrowIfNull(evt);
        ArgumentNullException.ThrowIfNull(route);
        var json = Begin();
        json.WriteNumber(Schema, SchemaVersion);
        WriteEventId(json, evt);

        json.WriteString(Event, evt.EventType);
        WriteIfPresent(json, App, evt.App);
        WriteIfPresent(json, Platform, evt.Platform);
        json.WriteString(Route, route.Utf8Name);
        json.WriteString(PriorityName, Priorities[(int)route.Priority]);
        if (sampleRate == 1.0)
        {
            json.WritePropertyName(SampleRate);
            json.WriteRawValue("1"u8, skipInputValidation: true); // what WriteNumber writes for 1.0, without formatting a double
        }
        else
        {
            json.WriteNumber(SampleRate, sampleRate);
        }

        json.WriteNumber(ReceivedAt, evt.ReceivedAtMs);
        if (evt.ClientTimeMs is { } clientTime)
        {
            json.WriteNumber(ClientTime, clientTime);
        }

        if (evt.SentAtMs is { } sentAt)
        {
            json.WriteNumber(SentAt, sentAt);
        }

        json.WriteNumber(EventTime, evt.EventTimeMs);

        WriteVisitorId(json, evt.VisitorId);
        WriteIfPresent(json, UserId, evt.UserId);
        WriteIfPresent(json, SessionId, evt.SessionId);
        WriteIfPresent(json, Sdk, evt.Sdk);
        WriteIfPresent(json, Url, evt.Url);
        WriteIfPresent(json, Referrer, evt.Referrer);
        WritePath(json, evt);
        WriteIfPresent(json, UserAgent, evt.UserAgent);
        if (evt.ParsedUserAgent is { } agent)
        {
            json.WritePropertyName(Agent);
            json.WriteRawValue(EncodedAgent(agent), skipInputValidation: true);
        }

        WriteIfPresent(json, ClientIp, evt.ClientAddress);
        json.WriteString(Transport, Transports[(int)evt.Transport]);
        if (evt.PropertyCount > 0)
        {
            json.WriteStartObject(Properties);
            for (var i = 0; i < evt.PropertyCount; i++)
            {
                json.WriteString(evt.PropertyKey(i), evt.PropertyValue(i));
            }

            json.WriteEndObject();
        }

        return End(json);
    }

    /// <summary>Writes a rejected record for the dead-letter topic: the reason and the raw input, nothing lost.</summary>
    public ReadOnlySpan<byte> WriteRejected(in RawBeacon raw, BeaconEvent evt)
    {
        ArgumentNullException.ThrowIfNull(evt);
        var json = Begin();
        json.WriteNumber(Schema, SchemaVersion);
        WriteEventId(json, evt);
        json.WriteString(Reason, evt.RejectReason.Name());
        WriteUntrusted(json, Parameter, evt.RejectedParameter);
        json.WriteString(Transport, Transports[(int)raw.Transport]);
        WriteIfPresent(json, Route, raw.Route);
        json.WriteNumber(ReceivedAt, raw.ReceivedAtMs);
        WriteVisitorId(json, evt.VisitorId);
        WriteIfPresent(json, ClientIp, evt.ClientAddress); // resolved and anonymised, never the raw peer
        WriteUntrusted(json, UserAgent, raw.UserAgent);
        WriteUntrusted(json, Referrer, raw.Referer);
        if (Utf8.IsValid(raw.Query))
        {
            json.WriteString(Raw, raw.Query);
        }
        else
        {
            json.WriteBase64String(RawBase64, raw.Query);
        }

        return End(json);
    }

    public void Dispose() => _json.Dispose();

    private Utf8JsonWriter Begin()
    {
        _buffer.ResetWrittenCount();
        _json.Reset();
        _json.WriteStartObject();
        return _json;
    }

    private ReadOnlySpan<byte> End(Utf8JsonWriter json)
    {
        json.WriteEndObject();
        json.Flush();
        return _buffer.WrittenSpan;
    }

    /// <summary>The client's id when it sent one, so downstream can drop retried duplicates; else the id made at receive.</summary>
    private static void WriteEventId(Utf8JsonWriter json, BeaconEvent evt)
    {
        if (evt.ClientEventId.IsEmpty)
        {
            json.WriteString(EventId, evt.GeneratedEventId);
        }
        else
        {
            json.WriteString(EventId, evt.ClientEventId);
        }
    }

    /// <summary>Path reconstruction (SPM positions, the referrer's referrer, pass-through sources, dwell) and channel attribution.</summary>
    private static void WritePath(Utf8JsonWriter json, BeaconEvent evt)
    {
        WriteIfPresent(json, ReferrerReferrer, evt.ReferrerReferrer);
        WriteIfPresent(json, Spm, evt.Spm);
        WriteIfPresent(json, SourceSpm, evt.SourceSpm);
        WriteIfPresent(json, SourceSourceSpm, evt.SourceSourceSpm);
        WriteIfPresent(json, Navigation, evt.Navigation);
        WriteIfPresent(json, PageViewId, evt.PageViewId);
        if (evt.DwellMs is { } dwell)
        {
            json.WriteNumber(DwellMs, dwell);
        }

        if (evt.HasChannel)
        {
            json.WriteStartObject(Channel);
            foreach (var (field, name) in ChannelNames)
            {
                WriteIfPresent(json, name, evt.Channel(field));
            }

            json.WriteEndObject();
        }

        if (evt.TruncatedCount > 0)
        {
            json.WriteStartArray(Truncated);
            for (var i = 0; i < evt.TruncatedCount; i++)
            {
                json.WriteStringValue(evt.Truncated(i));
            }

            json.WriteEndArray();
        }
    }

    /// <summary>The <c>ua</c> object of a parse result, encoded on first sight and then copied: allocates only when a slot changes hands.</summary>
    private byte[] EncodedAgent(UserAgentInfo agent)
    {
        ref var slot = ref _agents[RuntimeHelpers.GetHashCode(agent) & (AgentSlots - 1)];
        if (!ReferenceEquals(slot.Agent, agent))
        {
            var buffer = new ArrayBufferWriter<byte>(128);
            using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = _json.Options.Encoder, SkipValidation = true }))
            {
                WriteParsedUserAgent(json, agent);
            }

            slot = (agent, buffer.WrittenSpan.ToArray());
        }

        return slot.Json;
    }

    /// <summary>The enrichment as a JSON object.</summary>
    private static void WriteParsedUserAgent(Utf8JsonWriter json, UserAgentInfo agent)
    {
        json.WriteStartObject();
        json.WriteString(Browser, agent.BrowserFamily);
        if (agent.BrowserMajor is { } major)
        {
            json.WriteString(BrowserMajor, major);
        }

        json.WriteString(Os, agent.OsFamily);
        if (agent.OsVersion is { } version)
        {
            json.WriteString(OsVersion, version);
        }

        json.WriteString(Device, DeviceClasses[(int)agent.DeviceClass]);
        json.WriteBoolean(Bot, agent.IsBot);
        json.WriteEndObject();
    }

    private static void WriteVisitorId(Utf8JsonWriter json, Guid visitorId)
    {
        if (visitorId == Guid.Empty)
        {
            return; // anonymous mode
        }

        Span<byte> hex = stackalloc byte[32];
        visitorId.TryFormat(hex, out _, "N");
        json.WriteString(VisitorId, hex);
    }

    private static void WriteIfPresent(Utf8JsonWriter json, JsonEncodedText name, ReadOnlySpan<byte> value)
    {
        if (!value.IsEmpty)
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteIfPresent(Utf8JsonWriter json, JsonEncodedText name, ReadOnlySpan<byte> value, bool valid)
    {
        if (valid)
        {
            WriteIfPresent(json, name, value);
        }
    }

    private static void WriteUntrusted(Utf8JsonWriter json, JsonEncodedText name, ReadOnlySpan<byte> value) =>
        WriteIfPresent(json, name, value, Utf8.IsValid(value));
}
