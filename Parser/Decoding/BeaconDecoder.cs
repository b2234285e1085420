using System.Buffers.Binary;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
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
public sealed class BeaconDecoder(ParserOptions options, TimeProvider? time = null)
{
    private readonly ClientAddressResolver _addresses = new(options);
    private readonly UserAgentParser _userAgents = new(options, time);
    private readonly FieldLimits _limits = new(options);
    private readonly byte[][]? _eventTypes = options.StrictEventTypes
        ? [.. (options.EventTypes.Count > 0 ? (IEnumerable<string>)options.EventTypes : ParserOptions.DefaultEventTypes).Select(System.Text.Encoding.UTF8.GetBytes)]
        : null;

    /// <summary>Whether a query may be decoded whole (<see cref="QueryDecoder"/>); off, every query goes part by part. Tests compare the two.</summary>
    internal bool DecodesWhole { get; init; } = true;

    /// <summary>Good records left without a parsed User-Agent: misses over <see cref="ParserOptions.UserAgentMissesPerSecond"/>.</summary>
    public long UnparsedUserAgents => _userAgents.Unparsed;

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

        // Only User-Agents checked before are cached (this decoder's own cache): a hit needs no UTF-8 check.
        var knownAgent = _userAgents.Cached(raw.UserAgent);
        if ((knownAgent is null && !Utf8.IsValid(raw.UserAgent)) || (!raw.Referer.IsEmpty && !Utf8.IsValid(raw.Referer)))
        {
            into.Reject(RejectReason.InvalidHeader, default);
            return false;
        }

        if (!DecodePairs(QueryStringReader.Trim(raw.Query), into))
        {
            return false;
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
            into.ParsedUserAgent = knownAgent ?? _userAgents.ParseWithinBudget(into.UserAgent);
        }

        return true;
    }

    /// <summary>Every pair of the query into <paramref name="into"/>; false when one rejects the record.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // kept out of Decode: inlined there, the loop's state spilled to the stack
    private bool DecodePairs(ReadOnlySpan<byte> query, BeaconEvent into)
    {
        // A query of well-formed UTF-8 (nearly all: ASCII) needs no UTF-8 check per part, since '&' and
        // '=' never split a character: only escapes can make a part ill-formed.
        var parts = into.PartsFor(query.Length);
        var marks = into.MarksFor(query.Length);
        var pairs = PairScanner.Scan(query, parts, marks, out var ascii);
        var wellFormed = ascii || Utf8.IsValid(query);
        var percents = into.PercentsFor(query.Length);

        // Decoded whole, when the CPU allows and every escape is good; the part-by-part path names a bad one.
        // The result's ill-formed UTF-8, if any, lies in the parts, so the parts are all good when it is.
        return wellFormed && DecodesWhole && QueryDecoder.TryDecode(query, into.FreeSpace, percents, out var length, out var high) && (!high || Utf8.IsValid(into.FreeSpace[..length]))
            ? TakeDecoded(parts, pairs, percents, into.Commit(length).Start, into)
            : TakeOneByOne(query, parts, pairs, marks, wellFormed, into);
    }

    /// <summary>The pairs of a query <see cref="QueryDecoder"/> decoded at <paramref name="decoded"/>: each part a range of it.</summary>
    private bool TakeDecoded(ReadOnlySpan<QueryPart> parts, int pairs, ReadOnlySpan<int> percents, int decoded, BeaconEvent into)
    {
        var checkAbove = _limits.Configured ? -1 : _limits.Default; // value lengths that need a look at the limits; one register
        var before = 0; // the '%'s before the part at hand: each took two bytes out
        for (var i = 0; i < pairs; i++)
        {
            var keyPart = parts[2 * i];
            if (keyPart.Start == keyPart.End)
            {
                into.Reject(RejectReason.EmptyParameterName, default);
                return false;
            }

            var key = Decoded(keyPart, percents, decoded, ref before);
            if (!Store(into, key, Decoded(parts[(2 * i) + 1], percents, decoded, ref before), checkAbove))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The pairs of a query taken one part at a time: the query is copied once, a plain key or value is a
    /// range of that copy, and only the parts with an escape are percent-decoded (<see cref="PairScanner"/>).
    /// </summary>
    private bool TakeOneByOne(ReadOnlySpan<byte> query, ReadOnlySpan<QueryPart> parts, int pairs, ReadOnlySpan<ulong> marks, bool wellFormed, BeaconEvent into)
    {
        var copy = into.Copy(query).Start;
        var escapes = PairScanner.Escapes(marks, query.Length);
        var checkAbove = _limits.Configured ? -1 : _limits.Default;
        for (var i = 0; i < pairs; i++)
        {
            var keyPart = parts[2 * i];
            var status = Take(query, keyPart, escapes, copy, wellFormed, into, out var key);
            if (status != DecodeStatus.Done)
            {
                into.Reject(ReasonFor(status), into.Copy(query[keyPart.Start..keyPart.End]));
                return false;
            }

            if (key.IsEmpty)
            {
                into.Reject(RejectReason.EmptyParameterName, default);
                return false;
            }

            status = Take(query, parts[(2 * i) + 1], escapes, copy, wellFormed, into, out var value);
            if (status != DecodeStatus.Done)
            {
                into.Reject(ReasonFor(status), key);
                return false;
            }

            if (!Store(into, key, value, checkAbove))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A decoded pair into its field or the properties, within the limits; false when it rejects the record.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // once per pair, in each of the two loops
    private bool Store(BeaconEvent into, Utf8Range key, Utf8Range value, int checkAbove)
    {
        if (value.Length > checkAbove)
        {
            var (limit, truncate) = _limits.For(into.Slice(key));
            if (value.Length > limit)
            {
                if (!truncate)
                {
                    into.Reject(RejectReason.FieldTooLong, key);
                    return false;
                }

                value = value with { Length = Utf8Boundary(into.Slice(value), limit) };
                into.MarkTruncated(key);
            }
        }

        var field = Classify(into.Slice(key));
        if (field > EventField.Property && field < EventField.Spm)
        {
            into.Set(field, value); // a plain string field: the common case
            return true;
        }

        return Accept(into, field, key, value);
    }

    /// <summary>Where <paramref name="part"/> is in the query decoded whole at <paramref name="decoded"/>: two bytes less for each '%' before it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Utf8Range Decoded(QueryPart part, ReadOnlySpan<int> percents, int decoded, ref int before)
    {
        while (percents[before] < part.Start)
        {
            before++;
        }

        var start = part.Start - (2 * before);
        while (percents[before] < part.End)
        {
            before++;
        }

        return new Utf8Range(decoded + start, part.End - (2 * before) - start);
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
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // once per pair
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

        // Compared as one little-endian number each: one compare per name instead of a byte loop.
        2 => BinaryPrimitives.ReadUInt16LittleEndian(key) switch
        {
            'r' | ('r' << 8) => EventField.ReferrerReferrer,
            's' | ('t' << 8) => EventField.SentTime,
            _ => EventField.Property,
        },
        3 => (uint)(key[0] | (key[1] << 8) | (key[2] << 16)) switch
        {
            'u' | ('i' << 8) | ('d' << 16) => EventField.UserId,
            's' | ('i' << 8) | ('d' << 16) => EventField.SessionId,
            'e' | ('i' << 8) | ('d' << 16) => EventField.ClientEventId,
            's' | ('d' << 8) | ('k' << 16) => EventField.Sdk,
            's' | ('p' << 8) | ('m' << 16) => EventField.Spm,
            's' | ('r' << 8) | ('c' << 16) => EventField.SourceSpm,
            'n' | ('a' << 8) | ('v' << 16) => EventField.Navigation,
            _ => EventField.Property,
        },
        4 => BinaryPrimitives.ReadUInt32LittleEndian(key) switch
        {
            's' | ('s' << 8) | ('r' << 16) | ('c' << 24) => EventField.SourceSourceSpm,
            'p' | ('v' << 8) | ('i' << 16) | ('d' << 24) => EventField.PageViewId,
            _ => EventField.Property,
        },
        5 when key.SequenceEqual("dwell"u8) => EventField.Dwell,
        _ => EventField.Property,
    };

    /// <summary><c>site.page.block.position</c>: one to four non-empty parts.</summary>
    internal static bool IsSpm(ReadOnlySpan<byte> spm)
    {
        // A byte loop: the value is a few bytes, shorter than a vectorised search's set-up.
        var dots = 0;
        var previous = (byte)'.';
        foreach (var c in spm)
        {
            if (c == (byte)'.')
            {
                if (previous == (byte)'.' || ++dots > 3)
                {
                    return false;
                }
            }

            previous = c;
        }

        return previous != (byte)'.';
    }

    /// <summary>A plain part as a range of the query's copy at <paramref name="copy"/>; an escaped one decoded after it.</summary>
    private static DecodeStatus Take(ReadOnlySpan<byte> query, QueryPart part, ReadOnlySpan<ulong> escapes, int copy, bool wellFormed, BeaconEvent into, out Utf8Range range)
    {
        if (!PairScanner.Any(escapes, part.Start, part.End))
        {
            range = new Utf8Range(copy + part.Start, part.End - part.Start);
            return wellFormed || Utf8.IsValid(query[part.Start..part.End]) ? DecodeStatus.Done : DecodeStatus.InvalidUtf8;
        }

        var status = PercentDecoder.Decode(query, part, escapes, wellFormed, into.FreeSpace, out var length);
        range = status == DecodeStatus.Done ? into.Commit(length) : default;
        return status;
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
