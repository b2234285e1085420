using System.Buffers.Text;
using System.Globalization;
using System.Text.Json;
using Beacon.Parser;
using Beacon.Router.Routing;

namespace Beacon.Collector.Batch;

/// <summary>
/// Reads a batch's JSON with <see cref="Utf8JsonReader"/> (no DOM, no strings for the body) and turns
/// each event into the <c>k=v</c> parameters the pipeline's decoder already reads, so batch events are
/// decoded, enriched, routed and ruled exactly like pixels. Two passes over the bytes: the first checks
/// the whole document (syntax, depth, event count) and reads the batch-level fields, wherever they are;
/// the second writes the events. Nothing is enqueued from a document that fails the first pass.
/// </summary>
internal sealed class BatchParser(BatchOptions options, ParserOptions limits, RouteTable routes)
{
    private static readonly JsonEncodedText EventsName = JsonEncodedText.Encode("events");

    /// <summary>Parses <paramref name="json"/> into <paramref name="batch"/>: accepted and rejected events, or a refusal.</summary>
    public void Parse(ReadOnlySpan<byte> json, ParsedBatch batch, string? headerBatchId, bool anonymous)
    {
        batch.Anonymous = anonymous;
        var common = new FieldState { Priority = routes.Default.Priority };
        var readerOptions = new JsonReaderOptions { MaxDepth = options.MaxDepth + 2 };
        var reader = new Utf8JsonReader(json, readerOptions);
        long eventsAt = -1;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                batch.Refuse(BatchRefusal.InvalidBatch, "A batch is a JSON object with an \"events\" array.");
                return;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals(EventsName.EncodedUtf8Bytes))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartArray)
                    {
                        batch.Refuse(BatchRefusal.InvalidBatch, "\"events\" must be an array of event objects.");
                        return;
                    }

                    eventsAt = reader.TokenStartIndex;
                    if (!SkipChecked(ref reader, out var count))
                    {
                        RefuseTooDeep(batch);
                        return;
                    }

                    if (count > options.MaxEvents)
                    {
                        batch.Refuse(BatchRefusal.TooManyEvents, $"The batch has {count} events; at most {options.MaxEvents} are accepted. Split it.", options.MaxEvents);
                        return;
                    }

                    continue;
                }

                if (!ReadBatchField(ref reader, json, batch, ref common))
                {
                    return;
                }
            }

            // The root object ended: anything but whitespace after it throws here.
            reader.Read();
        }
        catch (JsonException e)
        {
            RefuseMalformed(batch, e, reader.BytesConsumed);
            return;
        }

        if (eventsAt < 0)
        {
            batch.Refuse(BatchRefusal.InvalidBatch, "A batch is a JSON object with an \"events\" array.");
            return;
        }

        // Events without their own id get "{batch id}-{index}": a retried batch's copies keep their ids.
        batch.BatchIdFromBody &= headerBatchId is null;
        batch.BatchId = headerBatchId ?? batch.BatchId ?? Guid.CreateVersion7().ToString("N");
        try
        {
            ReadEvents(json[(int)eventsAt..], readerOptions, batch, common);
        }
        catch (JsonException e)
        {
            // The first pass read the same bytes; kept so a parser bug answers 400 rather than 500.
            RefuseMalformed(batch, e, eventsAt + reader.BytesConsumed);
        }
    }

    private bool ReadBatchField(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, ParsedBatch batch, ref FieldState common)
    {
        if (reader.ValueTextEquals("batch_id"u8))
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.Null)
            {
                return true;
            }

            var id = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            if (!IsValidBatchId(id, options))
            {
                batch.Refuse(BatchRefusal.InvalidBatchId, $"\"batch_id\" must be a string of 1 to {options.MaxBatchIdLength} characters.");
                return false;
            }

            batch.BatchId = id;
            batch.BatchIdFromBody = true;
            return true;
        }

        if (reader.ValueTextEquals("anonymous"u8))
        {
            reader.Read();
            if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null))
            {
                batch.Refuse(BatchRefusal.InvalidBatch, "\"anonymous\" must be true or false.");
                return false;
            }

            batch.Anonymous |= reader.TokenType == JsonTokenType.True;
            return true;
        }

        var name = reader.GetString();
        var problem = WriteField(ref reader, json, batch, batch.Common, 0, ref common, checkDepth: true);
        if (problem is FieldProblem.TooDeep)
        {
            RefuseTooDeep(batch);
            return false;
        }

        if (problem is not FieldProblem.None)
        {
            batch.Refuse(BatchRefusal.InvalidBatch, $"Batch field \"{name}\": {Describe(problem)}.");
            return false;
        }

        return true;
    }

    private void ReadEvents(ReadOnlySpan<byte> events, JsonReaderOptions readerOptions, ParsedBatch batch, FieldState common)
    {
        var reader = new Utf8JsonReader(events, readerOptions);
        reader.Read(); // [
        for (var index = 0; ; index++)
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.EndArray)
            {
                return; // what follows the array was read by the first pass
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                Reject(batch, index, BatchEventRejection.NotAnObject);
                continue;
            }

            var probe = reader;
            probe.Skip();
            if (probe.BytesConsumed - reader.TokenStartIndex > options.MaxEventBytes)
            {
                reader = probe;
                Reject(batch, index, BatchEventRejection.EventTooLarge);
                continue;
            }

            ReadEvent(ref reader, events, batch, common, index);
        }
    }

    private void ReadEvent(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, ParsedBatch batch, FieldState common, int index)
    {
        var writer = batch.Events;
        var start = writer.Mark;
        var state = common with { Properties = 0 };
        var problem = FieldProblem.None;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (problem != FieldProblem.None)
            {
                reader.Read();
                reader.Skip();
                continue;
            }

            problem = WriteField(ref reader, json, batch, writer, start, ref state, checkDepth: false);
        }

        var rejection = problem switch
        {
            FieldProblem.None when !state.HasEventType => BatchEventRejection.MissingEventType,
            FieldProblem.None when common.Properties + state.Properties > limits.MaxProperties => BatchEventRejection.TooManyProperties,
            FieldProblem.None => (BatchEventRejection?)null,
            FieldProblem.TooLong => BatchEventRejection.FieldTooLong,
            FieldProblem.TooManyProperties => BatchEventRejection.TooManyProperties,
            _ => BatchEventRejection.InvalidField,
        };
        if (rejection is { } reason)
        {
            writer.Truncate(start);
            Reject(batch, index, reason);
            return;
        }

        if (!state.HasEventId)
        {
            var id = batch.ValueScratch(System.Text.Encoding.UTF8.GetMaxByteCount(batch.BatchId!.Length) + 12);
            var length = System.Text.Encoding.UTF8.GetBytes(batch.BatchId, id);
            id[length++] = (byte)'-';
            Utf8Formatter.TryFormat(index, id[length..], out var digits);
            writer.Append(start, "eid"u8, id[..(length + digits)]);
        }

        batch.Accepted.Add(new BatchEventEntry(start, writer.Mark - start, batch.Anonymous ? Guid.Empty : state.VisitorId, state.Priority));
    }

    /// <summary>
    /// Reads one field (the reader is on its name) and writes it as a parameter; always consumes the value.
    /// Known names (long or the pixel's short ones) map to their parameter; everything else is a custom property.
    /// </summary>
    private FieldProblem WriteField(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, ParsedBatch batch, ParameterWriter writer,
        int start, ref FieldState state, bool checkDepth)
    {
        var name = Unescape(ref reader, batch.NameScratch(reader.ValueSpan.Length));
        var field = Classify(name);
        reader.Read();
        if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && checkDepth)
        {
            // Look ahead on a copy: the depth check walks the value, the real reader reads it below.
            var probe = reader;
            if (!SkipChecked(ref probe, out _))
            {
                reader = probe;
                return FieldProblem.TooDeep;
            }
        }

        if (reader.TokenType == JsonTokenType.Null)
        {
            return FieldProblem.None; // null is "not sent", as an empty pixel parameter is
        }

        ReadOnlySpan<byte> value;
        switch (field.Kind)
        {
            case FieldKind.Property:
                value = ValueText(ref reader, json, batch);
                if (batch.Common == writer)
                {
                    batch.CommonPropertyNames.Add(name.ToArray());
                    state.Properties++;
                }
                else if (!IsCommonProperty(batch, name))
                {
                    state.Properties++;
                }

                break;
            case FieldKind.Text:
                if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.Number))
                {
                    reader.Skip();
                    return FieldProblem.WrongType;
                }

                value = ValueText(ref reader, json, batch);
                if (value.IsEmpty)
                {
                    return FieldProblem.None; // empty is absent: the batch's value, if any, stays
                }

                if (field.Parameter.SequenceEqual("e"u8))
                {
                    state.HasEventType = true;
                    state.Priority = routes.Resolve(ReadOnlySpan<byte>.Empty, value).Priority;
                }
                else if (field.Parameter.SequenceEqual("eid"u8))
                {
                    state.HasEventId = true;
                }

                break;
            case FieldKind.Time:
                if (!TryReadTime(ref reader, out var ms))
                {
                    reader.Skip();
                    return FieldProblem.WrongType;
                }

                var digits = batch.ValueScratch(20);
                Utf8Formatter.TryFormat(ms, digits, out var written);
                value = digits[..written];
                break;
            case FieldKind.Sdk:
                if (!TryReadSdk(ref reader, batch, out value))
                {
                    return FieldProblem.WrongType;
                }

                break;
            default: // device id: the record's key, kept as sent in a property
                if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.Number))
                {
                    reader.Skip();
                    return FieldProblem.WrongType;
                }

                value = ValueText(ref reader, json, batch);
                state.VisitorId = DeviceIds.ToVisitorId(value);
                if (batch.Anonymous)
                {
                    return FieldProblem.None;
                }

                if (batch.Common == writer)
                {
                    batch.CommonPropertyNames.Add(name.ToArray());
                    state.Properties++;
                }
                else if (!IsCommonProperty(batch, name))
                {
                    state.Properties++;
                }

                break;
        }

        if (value.Length > limits.MaxValueBytes)
        {
            return FieldProblem.TooLong;
        }

        if (state.Properties > limits.MaxProperties)
        {
            return FieldProblem.TooManyProperties;
        }

        writer.Append(start, field.Kind == FieldKind.Property || field.Kind == FieldKind.DeviceId ? name : field.Parameter, value);
        return FieldProblem.None;
    }

    /// <summary>A value as parameter text: strings unescaped, numbers and literals as written, objects and arrays as compact JSON.</summary>
    private static ReadOnlySpan<byte> ValueText(scoped ref Utf8JsonReader reader, ReadOnlySpan<byte> json, ParsedBatch batch)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return Unescape(ref reader, batch.ValueScratch(reader.ValueSpan.Length));
            case JsonTokenType.StartObject or JsonTokenType.StartArray:
                var from = (int)reader.TokenStartIndex;
                reader.Skip();
                var raw = json[from..(int)reader.BytesConsumed];
                return Compact(raw, batch.ValueScratch(raw.Length));
            default:
                return reader.ValueSpan; // number, true, false
        }
    }

    private static bool TryReadTime(scoped ref Utf8JsonReader reader, out long ms)
    {
        ms = 0;
        if (reader.TokenType == JsonTokenType.Number)
        {
            return reader.TryGetInt64(out ms) && ms >= 0;
        }

        if (reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var time))
        {
            ms = time.ToUnixTimeMilliseconds();
            return ms >= 0;
        }

        return false;
    }

    /// <summary><c>"sdk": "ios/2.1.0"</c> or <c>{"name":"ios","version":"2.1.0"}</c> → <c>ios/2.1.0</c>.</summary>
    private static bool TryReadSdk(scoped ref Utf8JsonReader reader, ParsedBatch batch, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (reader.TokenType == JsonTokenType.String)
        {
            value = Unescape(ref reader, batch.ValueScratch(reader.ValueSpan.Length));
            return true;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return false;
        }

        string? name = null, version = null;
        var valid = true;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isName = reader.ValueTextEquals("name"u8);
            var isVersion = reader.ValueTextEquals("version"u8);
            reader.Read();
            if (reader.TokenType == JsonTokenType.String && (isName || isVersion))
            {
                if (isName)
                {
                    name = reader.GetString();
                }
                else
                {
                    version = reader.GetString();
                }
            }
            else
            {
                valid &= !(isName || isVersion);
                reader.Skip();
            }
        }

        if (!valid || string.IsNullOrEmpty(name))
        {
            return false;
        }

        var text = string.IsNullOrEmpty(version) ? name : name + "/" + version;
        var bytes = batch.ValueScratch(System.Text.Encoding.UTF8.GetMaxByteCount(text.Length));
        value = bytes[..System.Text.Encoding.UTF8.GetBytes(text, bytes)];
        return true;
    }

    private static bool IsCommonProperty(ParsedBatch batch, ReadOnlySpan<byte> name)
    {
        foreach (var common in batch.CommonPropertyNames)
        {
            if (name.SequenceEqual(common))
            {
                return true;
            }
        }

        return false;
    }

    private static ReadOnlySpan<byte> Unescape(scoped ref Utf8JsonReader reader, Span<byte> scratch) =>
        reader.ValueIsEscaped ? scratch[..reader.CopyString(scratch)] : reader.ValueSpan;

    /// <summary>Drops whitespace outside strings: the compact JSON text a nested value is kept as.</summary>
    private static ReadOnlySpan<byte> Compact(ReadOnlySpan<byte> raw, Span<byte> into)
    {
        var length = 0;
        var inString = false;
        var escaped = false;
        foreach (var b in raw)
        {
            if (inString)
            {
                if (escaped)
                {
                    escaped = false;
                }
                else if (b == '\\')
                {
                    escaped = true;
                }
                else if (b == '"')
                {
                    inString = false;
                }
            }
            else if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
            {
                continue;
            }
            else if (b == '"')
            {
                inString = true;
            }

            into[length++] = b;
        }

        return into[..length];
    }

    /// <summary>
    /// Walks past the object or array the reader is on, checking every level against the depth limit
    /// (the batch object is level 1); counts its direct elements. False when too deep.
    /// </summary>
    private bool SkipChecked(ref Utf8JsonReader reader, out int elements)
    {
        elements = 0;
        var depth = reader.CurrentDepth;
        if (depth + 1 > options.MaxDepth)
        {
            return false;
        }

        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    if (reader.CurrentDepth == depth + 1)
                    {
                        elements++;
                    }

                    if (reader.CurrentDepth + 1 > options.MaxDepth)
                    {
                        return false;
                    }

                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    if (reader.CurrentDepth == depth)
                    {
                        return true;
                    }

                    break;
                case JsonTokenType.PropertyName or JsonTokenType.Comment:
                    break;
                default:
                    if (reader.CurrentDepth == depth + 1)
                    {
                        elements++;
                    }

                    break;
            }
        }

        return true;
    }

    private void RefuseTooDeep(ParsedBatch batch) =>
        batch.Refuse(BatchRefusal.JsonTooDeep, $"Objects and arrays nest deeper than {options.MaxDepth} levels (the batch object is level 1).", options.MaxDepth);

    private static void RefuseMalformed(ParsedBatch batch, JsonException e, long offset)
    {
        var line = (e.LineNumber ?? 0) + 1;
        var column = (e.BytePositionInLine ?? 0) + 1;
        batch.Refuse(BatchRefusal.MalformedJson,
            string.Create(CultureInfo.InvariantCulture, $"Malformed JSON at byte {offset} (line {line}, column {column})."),
            position: (offset, line, column));
    }

    private static void Reject(ParsedBatch batch, int index, BatchEventRejection reason) => batch.Rejected.Add((index, reason));

    internal static bool IsValidBatchId(string? id, BatchOptions options) =>
        !string.IsNullOrEmpty(id) && id.Length <= options.MaxBatchIdLength;

    private static string Describe(FieldProblem problem) => problem switch
    {
        FieldProblem.TooLong => "the value is over Beacon:Parser:MaxValueBytes",
        FieldProblem.TooManyProperties => "more custom properties than Beacon:Parser:MaxProperties",
        _ => "wrong type (see docs/protocol.md, batch fields)",
    };

    private static Field Classify(ReadOnlySpan<byte> name) => name switch
    {
        _ when name.SequenceEqual("event"u8) || name.SequenceEqual("e"u8) => new(FieldKind.Text, "e"u8),
        _ when name.SequenceEqual("app"u8) || name.SequenceEqual("a"u8) => new(FieldKind.Text, "a"u8),
        _ when name.SequenceEqual("platform"u8) || name.SequenceEqual("p"u8) => new(FieldKind.Text, "p"u8),
        _ when name.SequenceEqual("url"u8) || name.SequenceEqual("u"u8) => new(FieldKind.Text, "u"u8),
        _ when name.SequenceEqual("referrer"u8) || name.SequenceEqual("r"u8) => new(FieldKind.Text, "r"u8),
        _ when name.SequenceEqual("user_id"u8) || name.SequenceEqual("uid"u8) => new(FieldKind.Text, "uid"u8),
        _ when name.SequenceEqual("session_id"u8) || name.SequenceEqual("sid"u8) => new(FieldKind.Text, "sid"u8),
        _ when name.SequenceEqual("event_id"u8) || name.SequenceEqual("eid"u8) => new(FieldKind.Text, "eid"u8),
        _ when name.SequenceEqual("time"u8) || name.SequenceEqual("t"u8) => new(FieldKind.Time, "t"u8),
        _ when name.SequenceEqual("sent_at"u8) || name.SequenceEqual("st"u8) => new(FieldKind.Time, "st"u8),
        _ when name.SequenceEqual("sdk"u8) => new(FieldKind.Sdk, "sdk"u8),
        _ when name.SequenceEqual("device_id"u8) => new(FieldKind.DeviceId, "device_id"u8),
        _ => new(FieldKind.Property, default),
    };

    private enum FieldKind : byte
    {
        Property,
        Text,
        Time,
        Sdk,
        DeviceId,
    }

    private enum FieldProblem : byte
    {
        None,
        WrongType,
        TooLong,
        TooManyProperties,
        TooDeep,
    }

    private readonly ref struct Field(FieldKind kind, ReadOnlySpan<byte> parameter)
    {
        public FieldKind Kind { get; } = kind;

        public ReadOnlySpan<byte> Parameter { get; } = parameter;
    }

    /// <summary>What the fields read so far say about the event (the batch's fields first, then the event's own).</summary>
    private record struct FieldState(bool HasEventType, bool HasEventId, Guid VisitorId, Priority Priority, int Properties);
}
