using System.Runtime.CompilerServices;
using System.Text;
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
public sealed class RecordWriter
{
    /// <summary>Bumped on any change a downstream consumer would notice.</summary>
    public const int SchemaVersion = 1;

    private static ReadOnlySpan<byte> Schema => "\"schema\":"u8;
    private static ReadOnlySpan<byte> EventId => "\"event_id\":"u8;
    private static ReadOnlySpan<byte> Event => "\"event\":"u8;
    private static ReadOnlySpan<byte> App => "\"app\":"u8;
    private static ReadOnlySpan<byte> Platform => "\"platform\":"u8;
    private static ReadOnlySpan<byte> Route => "\"route\":"u8;
    private static ReadOnlySpan<byte> PriorityName => "\"priority\":"u8;
    private static ReadOnlySpan<byte> SampleRate => "\"sample_rate\":"u8;
    private static ReadOnlySpan<byte> ReceivedAt => "\"received_at\":"u8;
    private static ReadOnlySpan<byte> ClientTime => "\"client_time\":"u8;
    private static ReadOnlySpan<byte> SentAt => "\"sent_at\":"u8;
    private static ReadOnlySpan<byte> EventTime => "\"event_time\":"u8;
    private static ReadOnlySpan<byte> VisitorId => "\"visitor_id\":"u8;
    private static ReadOnlySpan<byte> UserId => "\"user_id\":"u8;
    private static ReadOnlySpan<byte> SessionId => "\"session_id\":"u8;
    private static ReadOnlySpan<byte> Sdk => "\"sdk\":"u8;
    private static ReadOnlySpan<byte> Spm => "\"spm\":"u8;
    private static ReadOnlySpan<byte> ReferrerReferrer => "\"referrer_referrer\":"u8;
    private static ReadOnlySpan<byte> SourceSpm => "\"source_spm\":"u8;
    private static ReadOnlySpan<byte> SourceSourceSpm => "\"source_source_spm\":"u8;
    private static ReadOnlySpan<byte> Navigation => "\"navigation\":"u8;
    private static ReadOnlySpan<byte> PageViewId => "\"page_view_id\":"u8;
    private static ReadOnlySpan<byte> DwellMs => "\"dwell_ms\":"u8;
    private static ReadOnlySpan<byte> Channel => "\"channel\":"u8;
    private static ReadOnlySpan<byte> Truncated => "\"truncated\":"u8;
    private static readonly (ChannelField Field, byte[] Name)[] ChannelNames =
    [
        (ChannelField.UtmSource, "\"utm_source\":"u8.ToArray()),
        (ChannelField.UtmMedium, "\"utm_medium\":"u8.ToArray()),
        (ChannelField.UtmCampaign, "\"utm_campaign\":"u8.ToArray()),
        (ChannelField.UtmTerm, "\"utm_term\":"u8.ToArray()),
        (ChannelField.UtmContent, "\"utm_content\":"u8.ToArray()),
        (ChannelField.Source, "\"source\":"u8.ToArray()),
        (ChannelField.Ref, "\"ref\":"u8.ToArray()),
    ];
    private static ReadOnlySpan<byte> Url => "\"url\":"u8;
    private static ReadOnlySpan<byte> Referrer => "\"referrer\":"u8;
    private static ReadOnlySpan<byte> UserAgent => "\"user_agent\":"u8;
    private static ReadOnlySpan<byte> Agent => "\"ua\":"u8;
    private static ReadOnlySpan<byte> Browser => "\"browser\":"u8;
    private static ReadOnlySpan<byte> BrowserMajor => "\"browser_major\":"u8;
    private static ReadOnlySpan<byte> Os => "\"os\":"u8;
    private static ReadOnlySpan<byte> OsVersion => "\"os_version\":"u8;
    private static ReadOnlySpan<byte> Device => "\"device\":"u8;
    private static ReadOnlySpan<byte> Bot => "\"bot\":"u8;
    private static ReadOnlySpan<byte> ClientIp => "\"client_ip\":"u8;
    private static ReadOnlySpan<byte> Transport => "\"transport\":"u8;
    private static ReadOnlySpan<byte> Properties => "\"props\":"u8;
    private static ReadOnlySpan<byte> Reason => "\"reason\":"u8;
    private static ReadOnlySpan<byte> Parameter => "\"parameter\":"u8;
    private static ReadOnlySpan<byte> Raw => "\"raw\":"u8;
    private static ReadOnlySpan<byte> RawBase64 => "\"raw_base64\":"u8;
    private static readonly byte[][] Priorities = [.. Enum.GetValues<Priority>().Select(static p => Encoding.UTF8.GetBytes($"p{(int)p}"))];
    private static readonly byte[][] ReasonNames = [.. Enum.GetValues<RejectReason>().Select(static r => Encoding.UTF8.GetBytes(r.Name()))];
    private static readonly byte[][] Transports = ["pixel"u8.ToArray(), "beacon_post"u8.ToArray(), "batch"u8.ToArray()];
    private static readonly byte[][] DeviceClasses = [.. Enum.GetValues<DeviceClass>().Select(static c => Encoding.UTF8.GetBytes(c.ToString().ToLowerInvariant()))];

    /// <summary>Pre-encoded <c>ua</c> objects, direct-mapped by parse result: user agents repeat, and the parser shares one result per user agent.</summary>
    private const int AgentSlots = 256;

    private readonly JsonRecordBuffer _json = new();
    private readonly (UserAgentInfo? Agent, byte[] Json)[] _agents = new (UserAgentInfo?, byte[])[AgentSlots];

    /// <summary>Writes a good event routed to <paramref name="route"/>.</summary>
    public ReadOnlySpan<byte> WriteEvent(BeaconEvent evt, BusinessRoute route, double sampleRate)
    {
        ArgumentNullException.ThrowIfNull(evt);
        ArgumentNullException.ThrowIfNull(route);
        var json = _json;
        json.Begin();
        json.Number(Schema, SchemaVersion);
        WriteEventId(json, evt);

        json.String(Event, evt.EventType);
        json.StringIfPresent(App, evt.App);
        json.StringIfPresent(Platform, evt.Platform);
        json.String(Route, route.Utf8Name);
        json.String(PriorityName, Priorities[(int)route.Priority]);
        if (sampleRate == 1.0)
        {
            json.Json(SampleRate, "1"u8); // what a double 1.0 is written as, without formatting one
        }
        else
        {
            json.Number(SampleRate, sampleRate);
        }

        json.Number(ReceivedAt, evt.ReceivedAtMs);
        if (evt.ClientTimeMs is { } clientTime)
        {
            json.Number(ClientTime, clientTime);
        }

        if (evt.SentAtMs is { } sentAt)
        {
            json.Number(SentAt, sentAt);
        }

        json.Number(EventTime, evt.EventTimeMs);

        WriteVisitorId(json, evt.VisitorId);
        json.StringIfPresent(UserId, evt.UserId);
        json.StringIfPresent(SessionId, evt.SessionId);
        json.StringIfPresent(Sdk, evt.Sdk);
        json.StringIfPresent(Url, evt.Url);
        json.StringIfPresent(Referrer, evt.Referrer);
        WritePath(json, evt);
        json.StringIfPresent(UserAgent, evt.UserAgent);
        if (evt.ParsedUserAgent is { } agent)
        {
            json.Json(Agent, EncodedAgent(agent));
        }

        json.StringIfPresent(ClientIp, evt.ClientAddress);
        json.String(Transport, Transports[(int)evt.Transport]);
        if (evt.PropertyCount > 0)
        {
            json.StartObject(Properties);
            for (var i = 0; i < evt.PropertyCount; i++)
            {
                json.Property(evt.PropertyKey(i), evt.PropertyValue(i));
            }

            json.EndObject();
        }

        return json.End();
    }

    /// <summary>Writes a rejected record for the dead-letter topic: the reason and the raw input, nothing lost.</summary>
    public ReadOnlySpan<byte> WriteRejected(in RawBeacon raw, BeaconEvent evt)
    {
        ArgumentNullException.ThrowIfNull(evt);
        var json = _json;
        json.Begin();
        json.Number(Schema, SchemaVersion);
        WriteEventId(json, evt);
        json.String(Reason, ReasonNames[(int)evt.RejectReason]);
        WriteUntrusted(json, Parameter, evt.RejectedParameter);
        json.String(Transport, Transports[(int)raw.Transport]);
        json.StringIfPresent(Route, raw.Route);
        json.Number(ReceivedAt, raw.ReceivedAtMs);
        WriteVisitorId(json, evt.VisitorId);
        json.StringIfPresent(ClientIp, evt.ClientAddress); // resolved and anonymised, never the raw peer
        WriteUntrusted(json, UserAgent, raw.UserAgent);
        WriteUntrusted(json, Referrer, raw.Referer);
        if (Utf8.IsValid(raw.Query))
        {
            json.String(Raw, raw.Query);
        }
        else
        {
            json.Base64String(RawBase64, raw.Query);
        }

        return json.End();
    }

    /// <summary>The client's id when it sent one, so downstream can drop retried duplicates; else the id made at receive.</summary>
    private static void WriteEventId(JsonRecordBuffer json, BeaconEvent evt)
    {
        if (evt.ClientEventId.IsEmpty)
        {
            json.String(EventId, evt.GeneratedEventId);
        }
        else
        {
            json.String(EventId, evt.ClientEventId);
        }
    }

    /// <summary>Path reconstruction (SPM positions, the referrer's referrer, pass-through sources, dwell) and channel attribution.</summary>
    private static void WritePath(JsonRecordBuffer json, BeaconEvent evt)
    {
        json.StringIfPresent(ReferrerReferrer, evt.ReferrerReferrer);
        json.StringIfPresent(Spm, evt.Spm);
        json.StringIfPresent(SourceSpm, evt.SourceSpm);
        json.StringIfPresent(SourceSourceSpm, evt.SourceSourceSpm);
        json.StringIfPresent(Navigation, evt.Navigation);
        json.StringIfPresent(PageViewId, evt.PageViewId);
        if (evt.DwellMs is { } dwell)
        {
            json.Number(DwellMs, dwell);
        }

        if (evt.HasChannel)
        {
            json.StartObject(Channel);
            foreach (var (field, name) in ChannelNames)
            {
                json.StringIfPresent(name, evt.Channel(field));
            }

            json.EndObject();
        }

        if (evt.TruncatedCount > 0)
        {
            json.StartArray(Truncated);
            for (var i = 0; i < evt.TruncatedCount; i++)
            {
                json.String(evt.Truncated(i));
            }

            json.EndArray();
        }
    }

    /// <summary>The <c>ua</c> object of a parse result, encoded on first sight and then copied: allocates only when a slot changes hands.</summary>
    private byte[] EncodedAgent(UserAgentInfo agent)
    {
        ref var slot = ref _agents[RuntimeHelpers.GetHashCode(agent) & (AgentSlots - 1)];
        if (!ReferenceEquals(slot.Agent, agent))
        {
            var json = new JsonRecordBuffer(128);
            json.Begin();
            json.String(Browser, Encoding.UTF8.GetBytes(agent.BrowserFamily));
            if (agent.BrowserMajor is { } major)
            {
                json.String(BrowserMajor, Encoding.UTF8.GetBytes(major));
            }

            json.String(Os, Encoding.UTF8.GetBytes(agent.OsFamily));
            if (agent.OsVersion is { } version)
            {
                json.String(OsVersion, Encoding.UTF8.GetBytes(version));
            }

            json.String(Device, DeviceClasses[(int)agent.DeviceClass]);
            json.Boolean(Bot, agent.IsBot);
            slot = (agent, json.End().ToArray());
        }

        return slot.Json;
    }

    private static void WriteVisitorId(JsonRecordBuffer json, Guid visitorId)
    {
        if (visitorId == Guid.Empty)
        {
            return; // anonymous mode
        }

        Span<byte> hex = stackalloc byte[32];
        visitorId.TryFormat(hex, out _, "N");
        json.String(VisitorId, hex);
    }

    /// <summary>Raw request bytes: written only when they are valid UTF-8 (the raw query has its own base64 fallback).</summary>
    private static void WriteUntrusted(JsonRecordBuffer json, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (Utf8.IsValid(value))
        {
            json.StringIfPresent(name, value);
        }
    }
}
