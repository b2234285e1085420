using System.Text;
using Beacon.Parser.Decoding;
using Beacon.Parser.Input;
using Beacon.Parser.Model;

namespace Beacon.Parser.Tests.Decoding;

/// <summary>Every single-byte change of valid pixels: never an exception, always a record or a named reason.</summary>
public sealed class MutationTests
{
    internal static readonly string[] ValidQueries =
    [
        "e=pv&a=shop&p=web&u=https%3A%2F%2Fshop.example%2Fitem%3Fsource%3D10012%26ref%3Dkd4b%26utm_source%3Dmail"
            + "&r=https%3A%2F%2Fsearch.example%2F%3Fq%3D%E4%BD%A0%E5%A5%BD&rr=https%3A%2F%2Fa%2F&t=1760000000000&st=1760000000100"
            + "&uid=u-42&sid=s-7&eid=ev-1&sdk=js%2F1.0.0&spm=shop.detail.recs.3&src=shop.list.grid.7&ssrc=shop.home.b.1"
            + "&nav=back_forward&pvid=p-1&title=Caf%C3%A9+%F0%9F%98%80",
        "e=leave&dwell=15320&pvid=p-1",
    ];

    internal static readonly byte[] Replacements = [0x00, (byte)'%', (byte)'&', (byte)'=', (byte)'+', (byte)'.', (byte)'A', 0x80, 0xC3, 0xFF];

    [Fact]
    public void Every_single_byte_mutation_is_accepted_or_rejected_with_a_reason()
    {
        var options = new ParserOptions { StrictEventTypes = true };
        options.Fields["title"] = new FieldLimit { MaxBytes = 8, Truncate = true };
        var decoder = new BeaconDecoder(options);
        var evt = new BeaconEvent();
        var outcomes = new HashSet<RejectReason>();

        foreach (var query in ValidQueries)
        {
            var valid = Encoding.UTF8.GetBytes(query);
            Assert.True(decoder.Decode(Raw(valid), evt), $"{query}: {evt.RejectReason}");
            for (var position = 0; position < valid.Length; position++)
            {
                foreach (var replacement in Replacements)
                {
                    var mutated = (byte[])valid.Clone();
                    mutated[position] = replacement;

                    var accepted = decoder.Decode(Raw(mutated), evt);

                    Assert.Equal(accepted, evt.RejectReason == RejectReason.None);
                    outcomes.Add(evt.RejectReason);
                }
            }
        }

        // The mutations reach the decoder's checks, not only the happy path.
        Assert.Superset(new HashSet<RejectReason>
        {
            RejectReason.None, RejectReason.InvalidPercentEncoding, RejectReason.InvalidUtf8, RejectReason.InvalidClientTime,
            RejectReason.InvalidSpm, RejectReason.InvalidNumber, RejectReason.UnknownEventType, RejectReason.EmptyParameterName,
        }, outcomes);
    }

    private static RawBeacon Raw(byte[] query) =>
        new(BeaconTransport.Pixel, query, "Mozilla/5.0"u8, ""u8, ""u8, "203.0.113.7"u8, 1_760_000_000_200, Guid.NewGuid());
}
