using System.Text;
using System.Text.Unicode;
using Beacon.Parser.Decoding;
using Beacon.Parser.Input;
using Beacon.Parser.Model;
using FsCheck;
using FsCheck.Fluent;

namespace Beacon.Parser.Tests.Decoding;

/// <summary>Properties checked over generated inputs (FsCheck): what must hold for every request, not just the examples.</summary>
public sealed class DecoderProperties
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(2000);

    [Fact]
    public void Any_bytes_are_either_accepted_or_rejected_with_a_reason_never_an_exception()
    {
        var decoder = new BeaconDecoder(new ParserOptions());
        var evt = new BeaconEvent();
        var bytes = ArbMap.Default.ArbFor<byte[]>();

        Check.One(Runs, Prop.ForAll(bytes, bytes, (query, agent) =>
        {
            var accepted = decoder.Decode(Raw(query, agent), evt);
            return accepted == (evt.RejectReason == RejectReason.None)
                && (!accepted || (Utf8.IsValid(evt.EventType) && !evt.EventType.IsEmpty));
        }));
    }

    [Fact]
    public void Scanning_the_marks_and_decoding_only_escaped_parts_gives_what_the_reader_and_the_decoder_give_apart()
    {
        // Bytes that matter to either path, and plain ones: delimiters, escapes, hex digits, UTF-8 lead and continuation bytes.
        var alphabet = Gen.Elements((byte)'&', (byte)'=', (byte)'%', (byte)'+', (byte)'2', (byte)'B', (byte)'c', (byte)'F', (byte)'x', (byte)' ', (byte)0xC3, (byte)0xA9, (byte)0xFF, (byte)0x80, (byte)'?', (byte)'\n');
        // Lengths up to 300, so that parts cross the scanner's 64-byte blocks.
        var queries = Gen.Choose(0, 300).SelectMany(length => alphabet.ArrayOf(length)).ToArbitrary();

        Check.One(Config.QuickThrowOnFailure.WithMaxTest(20_000), Prop.ForAll(queries, query =>
        {
            var expected = new List<(DecodeStatus, string)>();
            var reader = new QueryStringReader(query);
            var scratch = new byte[query.Length];
            while (reader.MoveNext(out var key, out var value))
            {
                var keyStatus = PercentDecoder.Decode(key, scratch, out var keyLength);
                expected.Add((keyStatus, keyStatus == DecodeStatus.Done ? Convert.ToHexString(scratch, 0, keyLength) : ""));
                var valueStatus = PercentDecoder.Decode(value, scratch, out var valueLength);
                expected.Add((valueStatus, valueStatus == DecodeStatus.Done ? Convert.ToHexString(scratch, 0, valueLength) : ""));
            }

            var actual = new List<(DecodeStatus, string)>();
            var pairs = QueryStringReader.Trim(query);
            var parts = new QueryPart[pairs.Length + 1];
            var marks = new ulong[PairScanner.MarkWords(pairs.Length)];
            var count = PairScanner.Scan(pairs, parts, marks, out var ascii);
            var escapes = PairScanner.Escapes(marks, pairs.Length);
            var wellFormed = Utf8.IsValid(pairs);
            if (ascii != !pairs.ContainsAnyInRange((byte)0x80, (byte)0xFF))
            {
                return false;
            }

            foreach (var part in parts.AsSpan(0, 2 * count))
            {
                // Parts without an escape are taken as they are: only their UTF-8 is checked.
                var length = part.End - part.Start;
                var escaped = PairScanner.Any(escapes, part.Start, part.End);
                var status = escaped
                    ? PercentDecoder.Decode(pairs, part, escapes, wellFormed, scratch, out length)
                    : Utf8.IsValid(pairs[part.Start..part.End]) ? DecodeStatus.Done : DecodeStatus.InvalidUtf8;
                if (!escaped)
                {
                    pairs[part.Start..part.End].CopyTo(scratch);
                }

                actual.Add((status, status == DecodeStatus.Done ? Convert.ToHexString(scratch, 0, length) : ""));
            }

            return expected.SequenceEqual(actual);
        }));
    }

    [Fact]
    public void Percent_encoded_custom_properties_decode_to_what_was_encoded_last_value_winning()
    {
        var decoder = new BeaconDecoder(new ParserOptions { MaxProperties = 1000 });
        var evt = new BeaconEvent();
        var key = Gen.Elements("x_a", "x_b", "x_c", "x_ä", "x 1", "x&y", "x=y");
        var value = ArbMap.Default.GeneratorFor<string>().Where(static s => s is not null && IsWellFormed(s));
        var pairs = Gen.Zip(key, value).ListOf().ToArbitrary();

        Check.One(Runs, Prop.ForAll(pairs, list =>
        {
            var query = "e=custom" + string.Concat(list.Select(static p => $"&{Uri.EscapeDataString(p.Item1)}={Uri.EscapeDataString(p.Item2)}"));
            if (!decoder.Decode(Raw(Encoding.UTF8.GetBytes(query), "UA"u8.ToArray()), evt))
            {
                return false;
            }

            var expected = new Dictionary<string, string>();
            foreach (var (k, v) in list)
            {
                expected[k] = v;
            }

            var decoded = Enumerable.Range(0, evt.PropertyCount).ToDictionary(i => BeaconEvent.Text(evt.PropertyKey(i)), i => BeaconEvent.Text(evt.PropertyValue(i)));
            return decoded.Count == expected.Count && expected.All(e => decoded.TryGetValue(e.Key, out var d) && d == e.Value);
        }));
    }

    [Fact]
    public void A_truncated_value_is_valid_utf8_within_the_limit_and_a_prefix_of_the_original()
    {
        var evt = new BeaconEvent();
        var value = ArbMap.Default.GeneratorFor<string>().Where(static s => s is not null && IsWellFormed(s)).ToArbitrary();
        var limit = Gen.Choose(1, 40).ToArbitrary();

        Check.One(Runs, Prop.ForAll(value, limit, (text, max) =>
        {
            var options = new ParserOptions();
            options.Fields["u"] = new FieldLimit { MaxBytes = max, Truncate = true };
            if (!new BeaconDecoder(options).Decode(Raw(Encoding.UTF8.GetBytes("e=pv&u=" + Uri.EscapeDataString(text)), "UA"u8.ToArray()), evt))
            {
                return false;
            }

            var original = Encoding.UTF8.GetBytes(text);
            var kept = evt.Url.ToArray();
            return kept.Length <= max && Utf8.IsValid(kept) && original.AsSpan().StartsWith(kept)
                && (evt.TruncatedCount == 1) == (original.Length > max)
                && original.Length - kept.Length < (original.Length > max ? 4 + Math.Max(0, original.Length - max) : 1);
        }));
    }

    [Fact]
    public void Any_page_url_leaves_an_event_accepted_whatever_its_channel_codes()
    {
        var decoder = new BeaconDecoder(new ParserOptions());
        var evt = new BeaconEvent();
        var part = Gen.Elements("source", "ref", "utm_source", "utm_medium", "x", "%zz", "%E2%82", "=", "&", "?", "#", "a", "%20");
        var url = part.ListOf().Select(static parts => "https://s/p?" + string.Concat(parts)).ToArbitrary();

        Check.One(Runs, Prop.ForAll(url, u =>
            decoder.Decode(Raw(Encoding.UTF8.GetBytes("e=pv&u=" + Uri.EscapeDataString(u)), "UA"u8.ToArray()), evt)
            && (!evt.HasChannel || Enumerable.Range(0, 7).All(i => Utf8.IsValid(evt.Channel((ChannelField)i))))));
    }

    private static RawBeacon Raw(byte[] query, byte[] agent) =>
        new(BeaconTransport.Pixel, query, agent, [], [], "203.0.113.7"u8, 1_760_000_000_000, Guid.NewGuid());

    private static bool IsWellFormed(string text) => Utf8.IsValid(Encoding.UTF8.GetBytes(text)) && !text.Contains('\uFFFD', StringComparison.Ordinal)
        && Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text)) == text;
}
