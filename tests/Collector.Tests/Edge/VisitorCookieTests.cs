using Beacon.Collector.Edge;
using Microsoft.Extensions.Primitives;

namespace Beacon.Collector.Tests.Edge;

public sealed class VisitorCookieTests
{
    private const string Id = "00112233445566778899aabbccddeeff";
    private readonly VisitorCookie _cookie = new(new VisitorCookieOptions());

    [Theory]
    [InlineData("bid=" + Id)]
    [InlineData("a=1; bid=" + Id + "; c=3")]
    [InlineData("xbid=zzz;bid=" + Id)]
    [InlineData("a=1; bid=" + Id + " ; c=3")]
    [InlineData("bid=00000000000000000000000000000000; bid=" + Id)] // a malformed one first does not hide it
    public void A_well_formed_id_is_read_wherever_it_sits(string header)
    {
        Assert.True(_cookie.TryRead(new StringValues(header), out var id));
        Assert.Equal(Id, id.ToString("N"));
    }

    [Fact]
    public void The_id_is_found_across_several_cookie_headers()
    {
        Assert.True(_cookie.TryRead(new StringValues(["a=1", "bid=" + Id]), out var id));
        Assert.Equal(Id, id.ToString("N"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("bid=")]
    [InlineData("bid=" + "00112233-4455-6677-8899-aabbccddeeff")]
    [InlineData("bid=" + "00112233445566778899AABBCCDDEEFF")]
    [InlineData("bid=" + "00112233445566778899aabbccddeefg")]
    [InlineData("bid=" + "00112233445566778899aabbccddeef")]
    [InlineData("bidx=" + Id)]
    [InlineData("xbid=" + Id)]
    [InlineData("bid=00000000000000000000000000000000")]
    [InlineData("bid")]
    [InlineData("a=1; bid")]
    [InlineData("bidx" + Id)]
    [InlineData("BID=" + Id)]
    public void Anything_but_32_lowercase_hex_digits_under_the_cookie_name_is_not_trusted(string header)
    {
        Assert.False(_cookie.TryRead(new StringValues(header), out _));
    }

    [Fact]
    public void An_id_in_bytes_is_exactly_32_lowercase_hex_digits_too()
    {
        Assert.True(VisitorCookie.TryParseId(System.Text.Encoding.ASCII.GetBytes(Id), out var id));
        Assert.Equal(Id, id.ToString("N"));
        Assert.False(VisitorCookie.TryParseId(System.Text.Encoding.ASCII.GetBytes(Id + "0"), out _));
        Assert.False(VisitorCookie.TryParseId(System.Text.Encoding.ASCII.GetBytes(Id[..^1]), out _));
    }

    [Fact]
    public void An_empty_domain_writes_no_domain_attribute()
    {
        var cookie = new VisitorCookie(new VisitorCookieOptions { Domain = "" });

        Assert.DoesNotContain("Domain", cookie.SetCookieHeader(VisitorCookie.NewId()), StringComparison.Ordinal);
    }

    [Fact]
    public void New_ids_are_random_and_round_trip_through_the_cookie()
    {
        var ids = Enumerable.Range(0, 1000).Select(static _ => VisitorCookie.NewId()).ToHashSet();
        Assert.Equal(1000, ids.Count);

        var id = VisitorCookie.NewId();
        var header = _cookie.SetCookieHeader(id);
        Assert.True(_cookie.TryRead(new StringValues(header.Split(';')[0]), out var read));
        Assert.Equal(id, read);
    }

    [Fact]
    public void Ids_drawn_on_many_threads_at_once_never_repeat()
    {
        // Each thread draws random bytes in batches: no byte of a batch may be handed out twice, on any thread.
        var ids = new System.Collections.Concurrent.ConcurrentBag<Guid>();
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            for (var i = 0; i < 1000; i++)
            {
                ids.Add(VisitorCookie.NewId());
            }
        });

        Assert.Equal(8000, ids.Distinct().Count());
        Assert.DoesNotContain(Guid.Empty, ids);
    }

    [Fact]
    public void Defaults_are_secure_http_only_and_same_site_none()
    {
        Assert.EndsWith("; Max-Age=31536000; Path=/; Secure; HttpOnly; SameSite=None", _cookie.SetCookieHeader(Guid.Empty), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_same_site_value_is_refused_at_start_up()
    {
        Assert.Throws<ArgumentException>(() => new VisitorCookie(new VisitorCookieOptions { SameSite = "Sometimes" }));
    }
}
