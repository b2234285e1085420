using System.Text;
using Beacon.Parser.Decoding;

namespace Beacon.Parser.Tests.Decoding;

public sealed class QueryStringReaderTests
{
    [Fact]
    public void Pairs_come_back_in_order_and_still_encoded()
    {
        var pairs = Read("e=pv&u=a%20b&q=x+y&z=9");

        Assert.Equal([("e", "pv"), ("u", "a%20b"), ("q", "x+y"), ("z", "9")], pairs);
    }

    [Fact]
    public void A_leading_question_mark_is_not_part_of_the_first_key()
    {
        var pairs = Read("?e=pv&a=shop");

        Assert.Equal([("e", "pv"), ("a", "shop")], pairs);
    }

    [Theory]
    [InlineData("e=pv&a=shop\r\n")]
    [InlineData("e=pv&a=shop\n")]
    [InlineData("?e=pv&a=shop\r\n")]
    public void A_trailing_newline_is_trimmed_from_the_last_value(string query)
    {
        var pairs = Read(query);

        Assert.Equal([("e", "pv"), ("a", "shop")], pairs);
    }

    [Theory]
    [InlineData("a=1&&b=2")]
    [InlineData("&a=1&b=2")]
    [InlineData("a=1&b=2&")]
    [InlineData("&&a=1&&&b=2&&")]
    public void Empty_segments_are_skipped(string query)
    {
        var pairs = Read(query);

        Assert.Equal([("a", "1"), ("b", "2")], pairs);
    }

    [Theory]
    [InlineData("")]
    [InlineData("?")]
    [InlineData("&&&")]
    [InlineData("\r\n")]
    public void A_query_with_no_pairs_yields_nothing(string query)
    {
        Assert.Empty(Read(query));
    }

    [Fact]
    public void A_key_without_equals_has_an_empty_value()
    {
        var pairs = Read("debug&e=pv&flag");

        Assert.Equal([("debug", ""), ("e", "pv"), ("flag", "")], pairs);
    }

    [Fact]
    public void A_pair_starting_with_equals_has_an_empty_key()
    {
        var pairs = Read("e=pv&=v");

        Assert.Equal([("e", "pv"), ("", "v")], pairs);
    }

    [Fact]
    public void A_value_may_contain_equals_signs()
    {
        var pairs = Read("q=a=b=c&x==");

        Assert.Equal([("q", "a=b=c"), ("x", "=")], pairs);
    }

    [Fact]
    public void MoveNext_keeps_returning_false_after_the_last_pair()
    {
        var reader = new QueryStringReader("a=1"u8);

        Assert.True(reader.MoveNext(out _, out _));
        Assert.False(reader.MoveNext(out var key, out var value));
        Assert.False(reader.MoveNext(out _, out _));
        Assert.True(key.IsEmpty);
        Assert.True(value.IsEmpty);
    }

    private static List<(string Key, string Value)> Read(string query)
    {
        var pairs = new List<(string Key, string Value)>();
        var reader = new QueryStringReader(Encoding.UTF8.GetBytes(query));
        while (reader.MoveNext(out var key, out var value))
        {
            pairs.Add((Encoding.UTF8.GetString(key), Encoding.UTF8.GetString(value)));
        }

        return pairs;
    }
}
