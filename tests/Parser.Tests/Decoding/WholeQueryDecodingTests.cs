using System.Text;
using Beacon.Parser.Decoding;
using Beacon.Parser.Input;
using Beacon.Parser.Model;

namespace Beacon.Parser.Tests.Decoding;

/// <summary>
/// The decoder decoding queries whole (<see cref="QueryDecoder"/>, where the CPU has it) and part by part:
/// the same record, or the same reject naming the same parameter, for every prefix and every single-byte
/// change of long pixels.
/// </summary>
public sealed class WholeQueryDecodingTests
{
    private static readonly string[] LongQueries =
    [
        MutationTests.ValidQueries[0],

        // The benchmarks' pixel.
        "e=pv&a=shop&p=web&u=https%3A%2F%2Fshop.example.com%2Fitem%2F42%3Fref%3Dhome&r=https%3A%2F%2Fshop.example.com%2F"
            + "&t=1700000000000&uid=u-1234&sid=s-5678&eid=ev-1&spm=a.b.c.d&color=red+blue&q=caf%C3%A9",

        // Chinese text across a block boundary, escaped delimiters in a key and a value, channel codes after a hash route.
        "e=click&a=app&p=ios&kw=%E4%BD%A0%E5%A5%BD%E4%B8%96%E7%95%8C%E4%BD%A0%E5%A5%BD&note=%E4%B8%96%E7%95%8C"
            + "&u=https%3A%2F%2Fm.example%2Flogin%23%2Fx%3Fsource%3D10012%26ref%3Dkd4b&x%3Dy=%26%3D%2B&dwell=12&st=1760000000100&t=1760000000000",
    ];

    [Fact]
    public void Every_prefix_and_single_byte_change_decodes_the_same_whole_as_part_by_part()
    {
        var options = new ParserOptions { StrictEventTypes = true };
        options.Fields["title"] = new FieldLimit { MaxBytes = 8, Truncate = true };
        options.Fields["note"] = new FieldLimit { MaxBytes = 8, Truncate = false };
        var whole = new BeaconDecoder(options);
        var partByPart = new BeaconDecoder(options) { DecodesWhole = false };
        var outcomes = new HashSet<RejectReason>();

        foreach (var query in LongQueries)
        {
            var valid = Encoding.UTF8.GetBytes(query);
            Assert.Equal(QueryDecoder.IsSupported, QueryDecoder.TryDecode(valid, new byte[valid.Length + QueryDecoder.Slack], new int[QueryDecoder.PercentSlots(valid.Length)], out _, out _));
            for (var length = 0; length <= valid.Length; length++)
            {
                outcomes.Add(Same(whole, partByPart, valid[..length]));
            }

            for (var position = 0; position < valid.Length; position++)
            {
                foreach (var replacement in MutationTests.Replacements)
                {
                    var mutated = (byte[])valid.Clone();
                    mutated[position] = replacement;
                    outcomes.Add(Same(whole, partByPart, mutated));
                }
            }
        }

        // The changes reach both paths' checks, not only the happy path.
        Assert.Superset(new HashSet<RejectReason>
        {
            RejectReason.None, RejectReason.InvalidPercentEncoding, RejectReason.InvalidUtf8, RejectReason.FieldTooLong,
            RejectReason.InvalidClientTime, RejectReason.InvalidNumber, RejectReason.EmptyParameterName,
        }, outcomes);
    }

    private static RejectReason Same(BeaconDecoder whole, BeaconDecoder partByPart, byte[] query)
    {
        var expected = new BeaconEvent();
        var actual = new BeaconEvent();

        var expectedAccepted = partByPart.Decode(Raw(query), expected);
        var accepted = whole.Decode(Raw(query), actual);

        Assert.Equal(expectedAccepted, accepted);
        Assert.Equal(Describe(expected), Describe(actual));
        return actual.RejectReason;
    }

    /// <summary>Everything decoding sets, as text.</summary>
    private static string Describe(BeaconEvent e)
    {
        var text = new StringBuilder()
            .Append($"reject={e.RejectReason}:{BeaconEvent.Text(e.RejectedParameter)}|e={BeaconEvent.Text(e.EventType)}|a={BeaconEvent.Text(e.App)}")
            .Append($"|p={BeaconEvent.Text(e.Platform)}|u={BeaconEvent.Text(e.Url)}|r={BeaconEvent.Text(e.Referrer)}|rr={BeaconEvent.Text(e.ReferrerReferrer)}")
            .Append($"|uid={BeaconEvent.Text(e.UserId)}|sid={BeaconEvent.Text(e.SessionId)}|eid={BeaconEvent.Text(e.ClientEventId)}|sdk={BeaconEvent.Text(e.Sdk)}")
            .Append($"|spm={BeaconEvent.Text(e.Spm)}|src={BeaconEvent.Text(e.SourceSpm)}|ssrc={BeaconEvent.Text(e.SourceSourceSpm)}")
            .Append($"|nav={BeaconEvent.Text(e.Navigation)}|pvid={BeaconEvent.Text(e.PageViewId)}|dwell={e.DwellMs}|t={e.ClientTimeMs}|st={e.SentAtMs}");
        foreach (var field in Enum.GetValues<ChannelField>())
        {
            text.Append($"|{field}={BeaconEvent.Text(e.Channel(field))}");
        }

        for (var i = 0; i < e.TruncatedCount; i++)
        {
            text.Append($"|truncated={BeaconEvent.Text(e.Truncated(i))}");
        }

        for (var i = 0; i < e.PropertyCount; i++)
        {
            text.Append($"|{BeaconEvent.Text(e.PropertyKey(i))}={BeaconEvent.Text(e.PropertyValue(i))}");
        }

        return text.ToString();
    }

    private static RawBeacon Raw(byte[] query) =>
        new(BeaconTransport.Pixel, query, "Mozilla/5.0"u8, ""u8, ""u8, "203.0.113.7"u8, 1_760_000_000_200, new Guid("6f9619ff-8b86-d011-b42d-00c04fc964ff"));
}
