using System.Text;
using Beacon.Parser.Decoding;
using Beacon.Parser.Input;
using Beacon.Parser.Model;

namespace Beacon.Parser.Tests.Decoding;

/// <summary>Path reconstruction fields, channel attribution, per-field limits and strict event types.</summary>
public sealed class PathAndChannelTests
{
    private readonly BeaconEvent _event = new();

    [Fact]
    public void Path_reconstruction_parameters_become_fields()
    {
        Assert.True(Decode("e=pv&spm=shop.detail.recs.3&r=https%3A%2F%2Fshop%2Flist&rr=https%3A%2F%2Fshop%2F&src=shop.list.grid.7&ssrc=shop.home.banner.1&nav=back_forward&pvid=p-9"));

        Assert.Equal("shop.detail.recs.3", Text(_event.Spm));
        Assert.Equal("https://shop/", Text(_event.ReferrerReferrer));
        Assert.Equal("shop.list.grid.7", Text(_event.SourceSpm));
        Assert.Equal("shop.home.banner.1", Text(_event.SourceSourceSpm));
        Assert.Equal("back_forward", Text(_event.Navigation));
        Assert.Equal("p-9", Text(_event.PageViewId));
        Assert.Equal(0, _event.PropertyCount); // none of them is a custom property
    }

    [Fact]
    public void Page_leave_carries_its_dwell_time()
    {
        Assert.True(Decode("e=leave&dwell=15320"));
        Assert.Equal(15320, _event.DwellMs);

        Assert.True(Decode("e=leave&dwell="));
        Assert.Null(_event.DwellMs);
    }

    [Theory]
    [InlineData("dwell=-1")]
    [InlineData("dwell=1.5")]
    [InlineData("dwell=soon")]
    public void A_dwell_that_is_not_a_non_negative_integer_is_rejected(string parameter)
    {
        Assert.False(Decode("e=leave&" + parameter));
        Assert.Equal(RejectReason.InvalidNumber, _event.RejectReason);
        Assert.Equal("dwell", Text(_event.RejectedParameter));
    }

    [Theory]
    [InlineData("a", true)]
    [InlineData("a.b.c.d", true)]
    [InlineData("a.b.c.d.e", false)]
    [InlineData("a..c", false)]
    [InlineData(".a", false)]
    [InlineData("a.", false)]
    public void An_spm_position_is_one_to_four_non_empty_parts(string spm, bool valid)
    {
        foreach (var parameter in new[] { "spm", "src", "ssrc" })
        {
            Assert.Equal(valid, Decode($"e=click&{parameter}={spm}"));
            if (!valid)
            {
                Assert.Equal(RejectReason.InvalidSpm, _event.RejectReason);
                Assert.Equal(parameter, Text(_event.RejectedParameter));
            }
        }
    }

    [Fact]
    public void Campaign_and_registration_codes_of_the_page_url_become_channel_fields()
    {
        var url = Uri.EscapeDataString("https://shop.example/login?source=10012&ref=kd4b&utm_source=news%20letter&utm_medium=email&utm_campaign=bf-2026&utm_term=shoes&utm_content=hero&x=1#top");

        Assert.True(Decode("e=pv&u=" + url));

        Assert.True(_event.HasChannel);
        Assert.Equal("10012", Text(_event.Channel(ChannelField.Source)));
        Assert.Equal("kd4b", Text(_event.Channel(ChannelField.Ref)));
        Assert.Equal("news letter", Text(_event.Channel(ChannelField.UtmSource)));
        Assert.Equal("email", Text(_event.Channel(ChannelField.UtmMedium)));
        Assert.Equal("bf-2026", Text(_event.Channel(ChannelField.UtmCampaign)));
        Assert.Equal("shoes", Text(_event.Channel(ChannelField.UtmTerm)));
        Assert.Equal("hero", Text(_event.Channel(ChannelField.UtmContent)));
    }

    [Theory]
    [InlineData("https://shop.example/item/42")]
    [InlineData("https://shop.example/item?id=42")]
    [InlineData("https://shop.example/#top?")]
    [InlineData("https://shop.example/?source=")]
    public void A_url_without_channel_codes_has_no_channel(string url)
    {
        Assert.True(Decode("e=pv&u=" + Uri.EscapeDataString(url)));
        Assert.False(_event.HasChannel);
    }

    [Fact]
    public void A_hash_routed_page_has_its_codes_read_after_the_querys()
    {
        Assert.True(Decode("e=pv&u=" + Uri.EscapeDataString("https://h5.example/?ref=q#/login?source=10012&ref=ignored")));

        Assert.Equal("10012", Text(_event.Channel(ChannelField.Source)));
        Assert.Equal("q", Text(_event.Channel(ChannelField.Ref)));
    }

    [Fact]
    public void A_question_mark_inside_the_page_urls_query_does_not_start_it_again()
    {
        // '?' may stand unencoded in a query (here in a return path): the query starts at the first one.
        Assert.True(Decode("e=pv&u=" + Uri.EscapeDataString("https://shop.example/login?source=10012&next=/cart?step=2&ref=kd4b")));

        Assert.Equal("10012", Text(_event.Channel(ChannelField.Source)));
        Assert.Equal("kd4b", Text(_event.Channel(ChannelField.Ref)));
    }

    [Fact]
    public void A_malformed_channel_code_is_skipped_and_the_event_kept()
    {
        Assert.True(Decode("e=pv&u=" + Uri.EscapeDataString("https://s/?source=%zz&ref=ok&source=second")));

        Assert.Equal("ok", Text(_event.Channel(ChannelField.Ref)));
        Assert.Equal("second", Text(_event.Channel(ChannelField.Source))); // the first well-formed one
    }

    [Fact]
    public void A_field_configured_to_truncate_is_cut_on_a_character_boundary_and_named()
    {
        var options = new ParserOptions();
        options.Fields["u"] = new FieldLimit { MaxBytes = 10, Truncate = true };
        options.Fields["title"] = new FieldLimit { MaxBytes = 5, Truncate = true };

        // "ab€€" is 2 + 3 + 3 bytes: a 5-byte cut falls inside the second €, so it ends after the first.
        Assert.True(Decode("e=pv&u=https%3A%2F%2Fexample.com%2Flong&title=ab%E2%82%AC%E2%82%AC", options));

        Assert.Equal("https://ex", Text(_event.Url));
        Assert.Equal("ab€", Text(_event.PropertyValue(0)));
        Assert.Equal(2, _event.TruncatedCount);
        Assert.Equal(["u", "title"], new[] { Text(_event.Truncated(0)), Text(_event.Truncated(1)) });
    }

    [Theory]
    [InlineData("é", 1)]
    [InlineData("€", 1)]
    [InlineData("€", 2)]
    [InlineData("😀", 1)]
    [InlineData("😀", 3)]
    public void A_limit_that_cuts_into_the_first_character_keeps_none_of_it(string first, int limit)
    {
        var options = new ParserOptions();
        options.Fields["u"] = new FieldLimit { MaxBytes = limit, Truncate = true };

        Assert.True(Decode("e=pv&u=" + Uri.EscapeDataString(first + "x"), options));

        Assert.True(_event.Url.IsEmpty, $"kept {Convert.ToHexString(_event.Url)}");
        Assert.Equal(1, _event.TruncatedCount);
        Assert.Equal("u", Text(_event.Truncated(0)));
    }

    [Fact]
    public void A_field_with_its_own_limit_rejects_past_it_and_others_keep_the_default()
    {
        var options = new ParserOptions { MaxValueBytes = 100 };
        options.Fields["uid"] = new FieldLimit { MaxBytes = 8 };
        options.Fields["u"] = new FieldLimit { MaxBytes = 1000 };

        Assert.False(Decode("e=pv&uid=123456789", options));
        Assert.Equal(RejectReason.FieldTooLong, _event.RejectReason);
        Assert.Equal("uid", Text(_event.RejectedParameter));

        Assert.True(Decode("e=pv&u=" + new string('x', 500), options));
        Assert.False(Decode("e=pv&r=" + new string('x', 101), options));
        Assert.Equal("r", Text(_event.RejectedParameter));
    }

    [Fact]
    public void Strict_event_types_reject_what_the_catalogue_does_not_name()
    {
        var strict = new ParserOptions { StrictEventTypes = true };
        var custom = new ParserOptions { StrictEventTypes = true };
        custom.EventTypes.Add("signup");

        foreach (var type in ParserOptions.DefaultEventTypes)
        {
            Assert.True(Decode("e=" + type, strict), type);
        }

        Assert.False(Decode("e=pageview", strict));
        Assert.Equal(RejectReason.UnknownEventType, _event.RejectReason);
        Assert.True(Decode("e=signup", custom));
        Assert.False(Decode("e=pv", custom)); // a configured list replaces the catalogue
        Assert.True(Decode("e=anything"));     // not strict: any type is routed
    }

    private bool Decode(string query, ParserOptions? options = null) =>
        new BeaconDecoder(options ?? new ParserOptions()).Decode(
            new RawBeacon(BeaconTransport.Pixel, Encoding.UTF8.GetBytes(query), "UA"u8, ""u8, ""u8, "203.0.113.7"u8, 1_760_000_000_000, Guid.NewGuid()),
            _event);

    private static string Text(ReadOnlySpan<byte> value) => BeaconEvent.Text(value);
}
