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

        var reader = new QueryStringReader(raw.Query);
        while (reader.MoveNext(out var rawKey, out var rawValue))
        {
            var status = PercentDecoder.Decode(rawKey, into.FreeSpace, out var keyLength);
            if (status != DecodeStatus.Done)
            {
                into.Reject(ReasonFor(status), into.Copy(rawKey));
                return false;
            }

            if (keyLength == 0)
            {
                into.Reject(RejectReason.EmptyParameterName, default);
                return false;
            }

            var key = into.Commit(keyLength);
            status = PercentDecoder.Decode(rawValue, into.FreeSpace, out var valueLength);
            if (status != DecodeStatus.Done)
            {
                into.Reject(ReasonFor(status), key);
                return false;
            }

            if (valueLength > options.MaxValueBytes)
            {
                into.Reject(RejectReason.FieldTooLong, key);
                return false;
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
        2 when key.SequenceEqual("st"u8) => EventField.SentTime,
        _ => EventField.Property,
    };

    private static RejectReason ReasonFor(DecodeStatus status) =>
        status == DecodeStatus.InvalidEscape ? RejectReason.InvalidPercentEncoding : RejectReason.InvalidUtf8;
}
