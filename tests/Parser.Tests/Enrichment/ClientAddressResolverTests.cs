using System.Text;
using Beacon.Parser.Enrichment;

namespace Beacon.Parser.Tests.Enrichment;

public sealed class ClientAddressResolverTests
{
    private static readonly ClientAddressResolver BehindProxies = Resolver(trusted: ["10.0.0.0/8", "2001:db8:ffff::/48"]);

    [Theory]
    [InlineData("203.0.113.7", "", "", "203.0.113.0")]
    [InlineData("203.0.113.7", "198.51.100.23", "", "203.0.113.0")] // spoofed: the peer is no proxy of ours
    [InlineData("10.0.0.7", "198.51.100.23", "", "198.51.100.0")]
    [InlineData("10.0.0.7", "198.51.100.23, 10.0.0.5, 10.0.0.6", "", "198.51.100.0")] // a chain of our proxies
    [InlineData("10.0.0.7", "1.2.3.4, 198.51.100.23", "", "198.51.100.0")] // the client's own left part is not believed
    [InlineData("10.0.0.7", "198.51.100.23, not-an-address", "", "10.0.0.0")] // a broken chain: believe nothing in it
    [InlineData("10.0.0.7", "::ffff:198.51.100.23", "", "198.51.100.0")]
    [InlineData("10.0.0.7", "", "for=192.0.2.60;proto=http;by=10.0.0.7", "192.0.2.0")]
    [InlineData("10.0.0.7", "", "for=192.0.2.60:8080, for=10.0.0.9", "192.0.2.0")]
    [InlineData("10.0.0.7", "", "For=\"[2001:db8:cafe:1::17]:4711\"", "2001:db8:cafe::")]
    [InlineData("2001:db8:ffff::1", "2001:db8:1234:5678::1", "", "2001:db8:1234::")]
    [InlineData("2001:db8:1234:5678::1", "", "", "2001:db8:1234::")]
    public void The_client_is_the_rightmost_address_that_is_not_a_trusted_proxy_anonymised(string peer, string forwardedFor, string forwarded, string expected)
    {
        Assert.Equal(expected, Resolve(BehindProxies, peer, forwardedFor, forwarded));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-an-address")]
    [InlineData("010.0.0.1")]
    [InlineData("256.1.1.1")]
    [InlineData("1.2.3")]
    [InlineData("1.2.3.4.5")]
    [InlineData("01.2.3.4")]
    [InlineData("1.2.3.04")]
    public void Something_that_is_not_an_address_is_never_written(string peer)
    {
        Assert.Equal("", Resolve(BehindProxies, peer, "", ""));
    }

    [Fact]
    public void Anonymisation_can_be_turned_off_or_widened()
    {
        var whole = Resolver(trusted: [], ipv4Bits: 0, ipv6Bits: 0);
        var wide = Resolver(trusted: [], ipv4Bits: 16, ipv6Bits: 64);

        Assert.Equal("203.0.113.7", Resolve(whole, "203.0.113.7", "", ""));
        Assert.Equal("2001:db8:1234:5678::1", Resolve(whole, "2001:db8:1234:5678::1", "", ""));
        Assert.Equal("203.0.0.0", Resolve(wide, "203.0.113.7", "", ""));
        Assert.Equal("2001:db8:1234:5678::", Resolve(wide, "2001:db8:1234:5678:aaaa::1", "", ""));
    }

    [Fact]
    public void Every_octet_is_written_back_as_it_was_parsed()
    {
        var whole = Resolver(trusted: [], ipv4Bits: 0, ipv6Bits: 0);
        for (var octet = 0; octet < 256; octet++)
        {
            var address = $"{octet}.{255 - octet}.{octet / 10}.{(octet * 7) % 256}";
            Assert.Equal(address, Resolve(whole, address, "", ""));
        }

        Assert.Equal("255.255.255.255", Resolve(whole, "255.255.255.255", "", ""));
        Assert.Equal("0.0.0.0", Resolve(whole, "0.0.0.0", "", ""));
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.2", "127.0.0.0")]
    [InlineData("2001:db8::1", "2001:db8::2", "2001:db8::")] // a /128, not a /64
    public void A_single_trusted_address_counts_as_a_network_of_one(string proxy, string neighbour, string neighbourWritten)
    {
        var one = Resolver(trusted: [proxy]);

        Assert.Equal("198.51.100.0", Resolve(one, proxy, "198.51.100.23", ""));
        Assert.Equal(neighbourWritten, Resolve(one, neighbour, "198.51.100.23", ""));
    }

    [Fact]
    public void A_trusted_proxy_that_is_not_a_network_is_refused_at_start_up()
    {
        Assert.Throws<ArgumentException>(() => Resolver(trusted: ["10.0.0.0/99"]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Resolver(trusted: [], ipv4Bits: 33));
    }

    [Theory]
    [InlineData("::ffff:c633:6417", "198.51.100.0")] // IPv4-mapped, written in hex: anonymised as IPv4
    [InlineData("::1:ffff:c633:6417", "::")] // not mapped: a non-zero group before the ffff
    [InlineData("::ff:c633:6417", "::")] // not mapped: 00ff is not ffff
    public void Only_a_true_IPv4_mapped_address_written_in_hex_is_treated_as_IPv4(string peer, string expected)
    {
        Assert.Equal(expected, Resolve(BehindProxies, peer, "", ""));
    }

    [Fact]
    public void Anonymisation_can_drop_the_whole_address()
    {
        var all = Resolver(trusted: [], ipv4Bits: 32, ipv6Bits: 128);

        Assert.Equal("0.0.0.0", Resolve(all, "203.0.113.7", "", ""));
        Assert.Equal("::", Resolve(all, "2001:db8:1234:5678::1", "", ""));
    }

    [Fact]
    public void Anonymisation_bits_need_not_be_whole_octets()
    {
        var odd = Resolver(trusted: [], ipv4Bits: 12, ipv6Bits: 84);

        Assert.Equal("203.0.240.0", Resolve(odd, "203.0.255.7", "", ""));
        Assert.Equal("2001:db8:12f0::", Resolve(odd, "2001:db8:12ff:5678::1", "", ""));
    }

    [Fact]
    public void A_trusted_network_covers_exactly_its_prefix()
    {
        var eight = Resolver(trusted: ["10.0.0.0/8"], ipv4Bits: 0);

        Assert.Equal("198.51.100.23", Resolve(eight, "10.255.255.254", "198.51.100.23", ""));
        Assert.Equal("11.0.0.1", Resolve(eight, "11.0.0.1", "198.51.100.23", ""));
        Assert.Equal("9.255.255.255", Resolve(eight, "9.255.255.255", "198.51.100.23", ""));
    }

    [Fact]
    public void A_trusted_network_of_prefix_zero_trusts_every_IPv4_peer()
    {
        var everyone = Resolver(trusted: ["0.0.0.0/0"]);

        Assert.Equal("198.51.100.0", Resolve(everyone, "203.0.113.7", "198.51.100.23", ""));
    }

    [Fact]
    public void When_every_hop_is_a_trusted_proxy_the_client_is_the_leftmost_hop()
    {
        var whole = Resolver(trusted: ["10.0.0.0/8"], ipv4Bits: 0);

        Assert.Equal("10.1.2.3", Resolve(whole, "10.0.0.7", "10.1.2.3, 10.0.0.5", ""));
        Assert.Equal("10.1.2.3", Resolve(whole, "10.0.0.7", "", "for=10.1.2.3, for=10.0.0.5"));
    }

    [Fact]
    public void An_unbracketed_IPv6_for_parameter_is_not_cut_at_its_first_colon()
    {
        Assert.Equal("2001:db8:cafe::", Resolve(BehindProxies, "10.0.0.7", "", "for=2001:db8:cafe:1::17"));
    }

    private static ClientAddressResolver Resolver(string[] trusted, int ipv4Bits = 8, int ipv6Bits = 80)
    {
        var options = new ParserOptions { AnonymizeIPv4Bits = ipv4Bits, AnonymizeIPv6Bits = ipv6Bits };
        foreach (var network in trusted)
        {
            options.TrustedProxies.Add(network);
        }

        return new ClientAddressResolver(options);
    }

    private static string Resolve(ClientAddressResolver resolver, string peer, string forwardedFor, string forwarded)
    {
        var destination = new byte[64];
        var written = resolver.Resolve(Encoding.ASCII.GetBytes(peer), Encoding.ASCII.GetBytes(forwardedFor), Encoding.ASCII.GetBytes(forwarded), destination);
        return Encoding.ASCII.GetString(destination, 0, written);
    }
}
