using System.Buffers.Text;
using System.Text.Unicode;
using Beacon.Parser.Enrichment;
using Beacon.Parser.Input;
using Beacon.Parser.Model;

namespace Beacon.Parser.Decoding;

/// <summary>
/// Turns a <see cref="RawBeacon"/> into a <see cref="BeaconEvent"/>: percent-decodes every key and
/// value, checks UTF-8 and limits, and names the first problem as the record's reject reason; then
/// enriches a good record with its parsed User-Agent. Allocation-free (a User-Agent not yet in the
/// parser's cache allocates its entry); one instance per worker (it is not thread-safe only through
/// the event it fills).
/// </summary>
public sealed class BeaconDecoder(ParserOptions options)
{
    private readonly ClientAddressResolver _addresses = new(options);
    private readonly UserAgentParser _userAgents = new(options);
    private readonly FieldLimits _limits = new(options);
    private readonly byte[][]? _eventTypes = options.StrictEventTypes
        ? [.. (options.EventTypes.Count > 0 ? (IEnumerable<string>)options.EventTypes : ParserOptions.DefaultEventTypes).Select(System.Text.Encoding.UTF8.GetBytes)]
        : null;

    /// <summary>Decodes <paramref name="raw"/> into <paramref name="into"/>; false when the record is rejected.</summary>
    public bool Decode(in RawBeacon raw, BeaconEvent into)
    {
        ArgumentNullException.ThrowIfNull(into);
        into.Reset(raw);

        // First, so that even a rejected record carries only the anonymised address.
        if (!raw.Anonymous)
        {
            into.SetClientAddress(into.Commit(_addresses.Resolve(raw.ClientAddress, raw.ForwardedFor, raw.Forwarded, into.FreeSpace[..BeaconEvent.MaxAddressText])));
        }

        if (!Utf8.IsValid(raw.UserAgent) || !Utf8.IsValid(raw.Referer))
        {
            into.Reject(RejectReason.InvalidHeader, default);
            return false;
        }

        // The pairs of QueryStringReader, split and percent-decoded in one pass (PercentDecoder.DecodeComponent).
        var query = QueryStringReader.Trim(raw.Query);
        var position = 0;
        while (position < query.Length)
        {
            if (query[position] == (byte)'&')
            {
                position++; // an empty pair
                continue;
            }

            var keyStart = position;
            var status = PercentDecoder.DecodeComponent(query, ref position, key: true, into.FreeSpace, out var keyLength);
            if (status != DecodeStatus.Done)
            {
                into.Reject(ReasonFor(status), into.Copy(query[keyStart..position]));
                return false;
            }

            if (keyLength == 0)
            {
                into.Reject(RejectReason.EmptyParameterName, default);
                return false;
            }

            var key = into.Commit(keyLength);
            var valueLength = 0;
            if (position < query.Length && query[position] == (byte)'=')
            {
                position++;
                status = PercentDecoder.DecodeComponent(query, ref position, key: false, into.FreeSpace, out valueLength);
                if (status != DecodeStatus.Done)
                {
                    into.Reject(ReasonFor(status), key);
                    return false;
                }
            }

            var (limit, truncate) = _limits.For(into.Slice(key));
            if (valueLength > limit)
            {
                if (!truncate)
                {
                    into.Reject(RejectReason.FieldTooLong, key);
                    return false;
                }

                valueLength = Utf8Boundary(into.FreeSpace, limit);
                into.MarkTruncated(key);
            }

            var value = into.Commit(valueLength);
            if (!Accept(into, Classify(into.Slice(key)), key, value))
            {
                return false;
            }
        }

        if (into.Referrer.IsEmpty && !raw.Referer.IsEmpty)
        {
            into.Set(EventField.Referrer, into.Copy(raw.Referer));
        }

        if (into.EventType.IsEmpty)
        {
            into.Reject(RejectReason.MissingEventType, default);
            return false;
        }

        if (_eventTypes is not null && !IsKnown(_eventTypes, into.EventType))
        {
            into.Reject(RejectReason.UnknownEventType, default);
            return false;
        }

        ChannelAttribution.Read(into);

        // Last: only good records need it (dead letters keep the raw header).
        if (!into.UserAgent.IsEmpty)
        {
            into.ParsedUserAgent = _userAgents.Parse(into.UserAgent);
        }

        return true;
    }

    private bool Accept(BeaconEvent into, EventField field, Utf8Range key, Utf8Range value)
    {
        switch (field)
        {
            case EventField.Property:
                if (!into.TrySetProperty(key, value, options.MaxProperties))
                {
                    into.Reject(RejectReason.TooManyProperties, key);
                    return false;
                }

                return true;
            case EventField.ClientTime when value.IsEmpty:
                into.ClientTimeMs = null; // sent empty: as if not sent, like every other field
                return true;
            case EventField.SentTime when value.IsEmpty:
                into.SentAtMs = null;
                return true;
            case EventField.Spm or EventField.SourceSpm or EventField.SourceSourceSpm when !value.IsEmpty && !IsSpm(into.Slice(value)):
                into.Reject(RejectReason.InvalidSpm, key);
                return false;
            case EventField.Dwell when value.IsEmpty:
                into.DwellMs = null;
                return true;
            case EventField.Dwell:
                if (!Utf8Parser.TryParse(into.Slice(value), out long dwell, out var used) || used != value.Length || dwell < 0)
                {
                    into.Reject(RejectReason.InvalidNumber, key);
                    return false;
                }

                into.DwellMs = dwell;
                return true;
            case EventField.ClientTime or EventField.SentTime:
                if (!Utf8Parser.TryParse(into.Slice(value), out long ms, out var consumed) || consumed != value.Length || ms < 0)
                {
                    into.Reject(RejectReason.InvalidClientTime, key);
                    return false;
                }

                if (field == EventField.ClientTime)
                {
                    into.ClientTimeMs = ms;
                }
                else
                {
                    into.SentAtMs = ms;
                }

                return true;
            default:
                into.Set(field, value);
                return true;
        }
    }

    /// <summary>Short parameter names keep pixel URLs small; docs/protocol.md lists them.</summary>
    internal static EventField Classify(ReadOnlySpan<byte> key) => key.Length switch
    {
        1 => key[0] switch
        {
            (byte)'e' => EventField.EventType,
            (byte)'a' => EventField.App,
            (byte)'p' => EventField.Platform,
            (byte)'u' => EventField.Url,
            (byte)'r' => EventField.Referrer,
            (byte)'t' => EventField.ClientTime,
            _ => EventField.Property,
        },
        3 when key.SequenceEqual("uid"u8) => EventField.UserId,
        3 when key.SequenceEqual("sid"u8) => EventField.SessionId,
        3 when key.SequenceEqual("eid"u8) => EventField.ClientEventId,
        3 when key.SequenceEqual("sdk"u8) => EventField.Sdk,
        3 when key.SequenceEqual("spm"u8) => EventField.Spm,
        3 when key.SequenceEqual("src"u8) => EventField.SourceSpm,
        3 when key.SequenceEqual("nav"u8) => EventField.Navigation,
        2 when key.SequenceEqual("rr"u8) => EventField.ReferrerReferrer,
        4 when key.SequenceEqual("ssrc"u8) => EventField.SourceSourceSpm,
        4 when key.SequenceEqual("pvid"u8) => EventField.PageViewId,
        5 when key.SequenceEqual("dwell"u8) => EventField.Dwell,
        2 when key.SequenceEqual("st"u8) => EventField.SentTime,
        _ => EventField.Property,
    };

    /// <summary><c>site.page.block.position</c>: one to four non-empty parts.</summary>
    internal static bool IsSpm(ReadOnlySpan<byte> spm)
    {
        var parts = 0;
        foreach (var part in spm.Split((byte)'.'))
        {
            if (part.Start.Equals(part.End) || ++parts > 4)
            {
                return false;
            }
        }

        return parts > 0;
    }

    /// <summary>The longest prefix of <paramref name="value"/> within <paramref name="limit"/> bytes that ends on a whole UTF-8 character.</summary>
    private static int Utf8Boundary(ReadOnlySpan<byte> value, int limit)
    {
        var end = limit;
        while (end > 0 && (value[end] & 0xC0) == 0x80)
        {
            end--;
        }

        return end;
    }

    private static bool IsKnown(byte[][] types, ReadOnlySpan<byte> type)
    {
        foreach (var known in types)
        {
            if (type.SequenceEqual(known))
            {
                return true;
            }
        }

        return false;
    }

    private static RejectReason ReasonFor(DecodeStatus status) =>
        status == DecodeStatus.InvalidEscape ? RejectReason.InvalidPercentEncoding : RejectReason.InvalidUtf8;
}
