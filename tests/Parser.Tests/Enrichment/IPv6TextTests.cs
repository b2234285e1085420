using System.Net;
using System.Text;
using Beacon.Parser.Enrichment;
using FsCheck;
using FsCheck.Fluent;

namespace Beacon.Parser.Tests.Enrichment;

/// <summary><see cref="IPv6Text"/> against <see cref="IPAddress"/>, which it stands in for.</summary>
public sealed class IPv6TextTests
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(20_000);

    /// <summary>Addresses with runs of zero groups in random places, as real ones have (prefixes, ::1, …).</summary>
    private static readonly Arbitrary<byte[]> Addresses = Gen.Elements<ushort>(0, 0, 0, 1, 0xdb8, 0xffff, 0x5efe, 0x2001, 0xabcd)
        .Select(static w => w)
        .ArrayOf(8)
        .Zip(ArbMap.Default.GeneratorFor<ushort[]>(), static (pattern, random) => pattern.Select((w, i) => w == 0xabcd && random.Length > i ? random[i] : w).ToArray())
        .Select(static words => words.SelectMany(static w => new[] { (byte)(w >> 8), (byte)w }).ToArray())
        .ToArbitrary();

    [Fact]
    public void Formatting_writes_what_IPAddress_writes_and_declines_every_dotted_form()
    {
        // Declining more than needed only costs an IPAddress (the fallback): it declines the whole
        // ::/64 and every ISATAP-like interface id, a superset of what IPAddress writes dotted.
        Check.One(Runs, Prop.ForAll(Addresses, bytes =>
        {
            var destination = new byte[64];
            var expected = new IPAddress(bytes).ToString();
            return IPv6Text.TryFormat(bytes, destination, out var written)
                ? Encoding.ASCII.GetString(destination, 0, written) == expected
                : bytes.AsSpan(0, 8).IndexOfAnyExcept((byte)0) < 0 || (bytes[10] == 0x5E && bytes[11] == 0xFE);
        }));
    }

    [Fact]
    public void What_IPAddress_writes_parses_back_to_the_same_bytes()
    {
        Check.One(Runs, Prop.ForAll(Addresses, bytes =>
        {
            var text = new IPAddress(bytes).ToString();
            var parsed = new byte[16];
            return text.Contains('.', StringComparison.Ordinal)
                ? !IPv6Text.TryParse(Encoding.ASCII.GetBytes(text), parsed)
                : IPv6Text.TryParse(Encoding.ASCII.GetBytes(text), parsed) && parsed.SequenceEqual(bytes);
        }));
    }

    [Fact]
    public void Any_text_it_accepts_IPAddress_accepts_as_the_same_address()
    {
        var alphabet = Gen.Elements(':', ':', ':', '0', '1', 'a', 'F', 'f', '9', '.', '%', 'g', ' ');
        var texts = alphabet.ArrayOf().Select(static chars => new string(chars)).ToArbitrary();

        Check.One(Runs, Prop.ForAll(texts, text =>
        {
            var parsed = new byte[16];
            if (!IPv6Text.TryParse(Encoding.ASCII.GetBytes(text), parsed))
            {
                return true;
            }

            return IPAddress.TryParse(text, out var address)
                && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
                && address.ScopeId == 0
                && address.GetAddressBytes().SequenceEqual(parsed);
        }));
    }

    [Theory]
    [InlineData("2001:DB8:85A3:0000:0000:8A2E:0370:7334", "2001:db8:85a3::8a2e:370:7334")]
    [InlineData("2001:db8::1", "2001:db8::1")]
    [InlineData("fe80::", "fe80::")]
    [InlineData("1:0:0:2:0:0:0:3", "1:0:0:2::3")]
    [InlineData("1:0:0:2:0:0:3:4", "1::2:0:0:3:4")]
    [InlineData("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1")]
    [InlineData("2001:100:1000:10::1", "2001:100:1000:10::1")] // zeros inside a group are digits, not leading zeros
    public void Usual_forms_parse_and_print_in_RFC_5952_form(string text, string expected)
    {
        var bytes = new byte[16];
        var destination = new byte[64];

        Assert.True(IPv6Text.TryParse(Encoding.ASCII.GetBytes(text), bytes));
        Assert.True(IPv6Text.TryFormat(bytes, destination, out var written));
        Assert.Equal(expected, Encoding.ASCII.GetString(destination, 0, written));
    }

    [Theory]
    [InlineData("")]
    [InlineData(":")]
    [InlineData(":1::")]
    [InlineData("1::2::3")]
    [InlineData("1:2:3:4:5:6:7:8:9")]
    [InlineData("1:2:3:4:5:6:7:8::")]
    [InlineData("1:2:3:4:5:6:7:")]
    [InlineData("12345::")]
    [InlineData("::ffff:1.2.3.4")]
    [InlineData("fe80::1%2")]
    [InlineData("g::")]
    public void Other_text_is_left_to_IPAddress(string text)
    {
        Assert.False(IPv6Text.TryParse(Encoding.ASCII.GetBytes(text), new byte[16]));
    }
}
