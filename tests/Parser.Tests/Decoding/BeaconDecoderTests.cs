using System.Text;
using Beacon.Parser.Decoding;
using Beacon.Parser.Enrichment;
using Beacon.Parser.Input;
using Beacon.Parser.Model;

namespace Beacon.Parser.Tests.Decoding;

public sealed class BeaconDecoderTests
{
    private const string UserAgent = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/140.0";
    private const string Route = "checkout";
    private const string ClientAddress = "203.0.113.7";

    /// <summary>What is kept of <see cref="ClientAddress"/> by default: the last octet zeroed.</summary>
    private const string AnonymisedClientAddress = "203.0.113.0";
    private const long ReceivedAtMs = 1_760_000_000_123;
    private static readonly Guid VisitorId = Guid.Parse("0199a3c4-5e6f-7a8b-9c0d-1e2f3a4b5c6d");

    /// <summary>Twelve parameters, as a real pixel sends them: known fields, custom properties, escapes, UTF-8.</summary>
    private const string PixelQuery =
        "e=pv&a=shop&p=web&u=https%3A%2F%2Fshop.example%2Fcart%3Fstep%3D2&r=https%3A%2F%2Fsearch.example%2F%3Fq%3D%E4%BD%A0%E5%A5%BD"
        + "&t=1760000000000&uid=u-42&sid=s-7&eid=ev-0001&cur=EUR&total=12.50&title=Caf%C3%A9+%F0%9F%98%80";

    private readonly BeaconDecoder _decoder = new(new ParserOptions());
    private readonly BeaconEvent _event = new();

    [Fact]
    public void Known_parameters_fill_their_event_fields()
    {
        var accepted = Decode(
            "e=pv&a=shop&p=web&u=https%3A%2F%2Fshop.example%2Fcart&r=https%3A%2F%2Fsearch.example%2F"
            + "&t=1760000000000&uid=u-42&sid=s-7&eid=ev-0001");

        Assert.True(accepted);
        Assert.Equal(RejectReason.None, _event.RejectReason);
        Assert.Equal("pv", BeaconEvent.Text(_event.EventType));
        Assert.Equal("shop", BeaconEvent.Text(_event.App));
        Assert.Equal("web", BeaconEvent.Text(_event.Platform));
        Assert.Equal("https://shop.example/cart", BeaconEvent.Text(_event.Url));
        Assert.Equal("https://search.example/", BeaconEvent.Text(_event.Referrer));
        Assert.Equal(1_760_000_000_000, _event.ClientTimeMs);
        Assert.Equal("u-42", BeaconEvent.Text(_event.UserId));
        Assert.Equal("s-7", BeaconEvent.Text(_event.SessionId));
        Assert.Equal("ev-0001", BeaconEvent.Text(_event.ClientEventId));
        Assert.Equal(0, _event.PropertyCount);
    }

    [Fact]
    public void Fields_not_sent_stay_empty()
    {
        Assert.True(Decode("e=pv"));

        Assert.True(_event.App.IsEmpty);
        Assert.True(_event.Platform.IsEmpty);
        Assert.True(_event.Url.IsEmpty);
        Assert.True(_event.Referrer.IsEmpty);
        Assert.True(_event.UserId.IsEmpty);
        Assert.True(_event.SessionId.IsEmpty);
        Assert.True(_event.ClientEventId.IsEmpty);
        Assert.Null(_event.ClientTimeMs);
        Assert.True(_event.RejectedParameter.IsEmpty);
    }

    [Fact]
    public void Unknown_parameters_become_properties_in_the_order_sent()
    {
        Assert.True(Decode("color=red&e=click&size=XL&q=a+b%26c&caf%C3%A9=%E4%BD%A0"));

        Assert.Equal(
            [("color", "red"), ("size", "XL"), ("q", "a b&c"), ("café", "你")],
            Properties(_event));
    }

    [Fact]
    public void Parameter_names_are_matched_exactly_after_decoding()
    {
        Assert.True(Decode("%65=pv&ui=1&uids=2&E=3&ee=4"));

        Assert.Equal("pv", BeaconEvent.Text(_event.EventType));
        Assert.True(_event.UserId.IsEmpty);
        Assert.Equal([("ui", "1"), ("uids", "2"), ("E", "3"), ("ee", "4")], Properties(_event));
    }

    [Fact]
    public void Referrer_falls_back_to_the_Referer_header_when_r_is_absent()
    {
        Assert.True(Decode("e=pv", referer: "https://blog.example/post"));

        Assert.Equal("https://blog.example/post", BeaconEvent.Text(_event.Referrer));
    }

    [Fact]
    public void Referrer_parameter_wins_over_the_Referer_header()
    {
        Assert.True(Decode("e=pv&r=https%3A%2F%2Fsearch.example%2F", referer: "https://shop.example/cart"));

        Assert.Equal("https://search.example/", BeaconEvent.Text(_event.Referrer));
    }

    [Theory]
    [InlineData(BeaconTransport.Pixel)]
    [InlineData(BeaconTransport.BeaconPost)]
    public void Request_metadata_is_carried_onto_the_event(BeaconTransport transport)
    {
        Assert.True(Decode("e=pv", transport: transport, userAgent: "Agent/1.0 (你好)"));

        Assert.Equal(transport, _event.Transport);
        Assert.Equal("Agent/1.0 (你好)", BeaconEvent.Text(_event.UserAgent));
        Assert.Equal(Route, BeaconEvent.Text(_event.Route));
        Assert.Equal(AnonymisedClientAddress, BeaconEvent.Text(_event.ClientAddress));
        Assert.Equal(VisitorId, _event.VisitorId);
        Assert.Equal(ReceivedAtMs, _event.ReceivedAtMs);
    }

    [Fact]
    public void Request_metadata_is_carried_onto_a_rejected_event_too()
    {
        Assert.False(Decode("a=shop"));

        Assert.Equal(UserAgent, BeaconEvent.Text(_event.UserAgent));
        Assert.Equal(Route, BeaconEvent.Text(_event.Route));
        Assert.Equal(AnonymisedClientAddress, BeaconEvent.Text(_event.ClientAddress));
        Assert.Equal(VisitorId, _event.VisitorId);
        Assert.Equal(ReceivedAtMs, _event.ReceivedAtMs);
    }

    [Fact]
    public void Generated_event_id_is_a_version_7_guid_stamped_with_the_receive_time()
    {
        Assert.True(Decode("e=pv"));

        var id = _event.GeneratedEventId;
        Assert.Equal(7, id.Version);
        Assert.Equal(ReceivedAtMs, TimestampOf(id));
    }

    [Fact]
    public void Each_decoded_record_gets_its_own_generated_event_id()
    {
        Assert.True(Decode("e=pv"));
        var first = _event.GeneratedEventId;
        Assert.True(Decode("e=pv"));

        Assert.NotEqual(first, _event.GeneratedEventId);
    }

    [Theory]
    [InlineData("a=shop", RejectReason.MissingEventType, "")]
    [InlineData("", RejectReason.MissingEventType, "")]
    [InlineData("e=&a=shop", RejectReason.MissingEventType, "")]
    [InlineData("e=pv&t=abc", RejectReason.InvalidClientTime, "t")]
    [InlineData("e=pv&t=-5", RejectReason.InvalidClientTime, "t")]
    [InlineData("e=pv&t=12x", RejectReason.InvalidClientTime, "t")]
    [InlineData("e=pv&t=1.5", RejectReason.InvalidClientTime, "t")]
    [InlineData("e=pv&t=99999999999999999999", RejectReason.InvalidClientTime, "t")]
    [InlineData("e=pv&q=%zz", RejectReason.InvalidPercentEncoding, "q")]
    [InlineData("e=pv&u=abc%", RejectReason.InvalidPercentEncoding, "u")]
    [InlineData("e=pv&k%zz=1", RejectReason.InvalidPercentEncoding, "k%zz")]
    [InlineData("e=pv&q=%FF", RejectReason.InvalidUtf8, "q")]
    [InlineData("e=pv&uid=%C3%28", RejectReason.InvalidUtf8, "uid")]
    [InlineData("e=pv&=v", RejectReason.EmptyParameterName, "")]
    [InlineData("=v&e=pv", RejectReason.EmptyParameterName, "")]
    public void A_bad_record_is_rejected_with_its_reason_and_parameter(string query, RejectReason reason, string parameter)
    {
        var accepted = Decode(query);

        Assert.False(accepted);
        Assert.Equal(reason, _event.RejectReason);
        Assert.Equal(parameter, BeaconEvent.Text(_event.RejectedParameter));
    }

    [Fact]
    public void A_repeated_property_keeps_its_place_and_its_last_value()
    {
        Assert.True(Decode("e=pv&k=1&x=2&k=3"));

        Assert.Equal(2, _event.PropertyCount);
        Assert.Equal("k", BeaconEvent.Text(_event.PropertyKey(0)));
        Assert.Equal("3", BeaconEvent.Text(_event.PropertyValue(0)));
        Assert.Equal("x", BeaconEvent.Text(_event.PropertyKey(1)));
    }

    [Fact]
    public void A_repeated_property_does_not_count_twice_against_the_limit()
    {
        var decoder = new BeaconDecoder(new ParserOptions { MaxProperties = 1 });

        Assert.True(decoder.Decode(Raw("e=pv&k=1&k=2&k=3", BeaconTransport.Pixel, UserAgent, ""), _event));
        Assert.Equal("3", BeaconEvent.Text(_event.PropertyValue(0)));
    }

    [Fact]
    public void An_empty_client_time_counts_as_not_sent()
    {
        Assert.True(Decode("e=pv&t=1700000000000&t="));

        Assert.Null(_event.ClientTimeMs);
    }

    [Theory]
    [InlineData("e=pv&t=1000&st=2000", ReceivedAtMs - 1000)] // the client's clock is behind by received - 2000
    [InlineData("e=pv&t=1000", 1000L)]
    [InlineData("e=pv", ReceivedAtMs)]
    public void The_event_time_is_the_client_time_corrected_for_the_clients_clock_skew(string query, long expected)
    {
        Assert.True(Decode(query));

        Assert.Equal(expected, _event.EventTimeMs);
    }

    [Fact]
    public void A_malformed_send_time_is_rejected_like_a_malformed_client_time()
    {
        Assert.False(Decode("e=pv&st=soon"));

        Assert.Equal(RejectReason.InvalidClientTime, _event.RejectReason);
        Assert.Equal("st", BeaconEvent.Text(_event.RejectedParameter));
    }

    [Fact]
    public void An_anonymous_record_keeps_no_visitor_id_and_no_address()
    {
        var raw = new RawBeacon(BeaconTransport.Pixel, "e=pv"u8, "UA"u8, ""u8, ""u8, "203.0.113.7"u8, ReceivedAtMs, VisitorId) { Anonymous = true };

        Assert.True(_decoder.Decode(raw, _event));

        Assert.True(_event.Anonymous);
        Assert.Equal(Guid.Empty, _event.VisitorId);
        Assert.True(_event.ClientAddress.IsEmpty);
    }

    [Fact]
    public void A_rejected_record_carries_only_the_anonymised_address()
    {
        Assert.False(Decode("e=pv&bad=%zz"));

        Assert.Equal(AnonymisedClientAddress, BeaconEvent.Text(_event.ClientAddress));
    }

    [Fact]
    public void A_value_longer_than_MaxValueBytes_is_rejected_as_FieldTooLong()
    {
        var decoder = new BeaconDecoder(new ParserOptions { MaxValueBytes = 8 });

        Assert.False(decoder.Decode(Raw("e=pv&u=123456789"), _event));

        Assert.Equal(RejectReason.FieldTooLong, _event.RejectReason);
        Assert.Equal("u", BeaconEvent.Text(_event.RejectedParameter));
    }

    [Fact]
    public void MaxValueBytes_counts_decoded_bytes_not_encoded_ones()
    {
        var decoder = new BeaconDecoder(new ParserOptions { MaxValueBytes = 8 });

        Assert.True(decoder.Decode(Raw("e=pv&u=%41%41%41%41%41%41%41%41"), _event));
        Assert.Equal("AAAAAAAA", BeaconEvent.Text(_event.Url));

        Assert.True(decoder.Decode(Raw("e=pv&u=12345678"), _event));
        Assert.Equal("12345678", BeaconEvent.Text(_event.Url));
    }

    [Fact]
    public void More_than_MaxProperties_unknown_parameters_is_rejected_as_TooManyProperties()
    {
        var decoder = new BeaconDecoder(new ParserOptions { MaxProperties = 3 });

        Assert.True(decoder.Decode(Raw("e=pv&a=shop&x1=1&x2=2&x3=3&uid=u"), _event));
        Assert.Equal(3, _event.PropertyCount);

        Assert.False(decoder.Decode(Raw("e=pv&x1=1&x2=2&x3=3&x4=4"), _event));
        Assert.Equal(RejectReason.TooManyProperties, _event.RejectReason);
        Assert.Equal("x4", BeaconEvent.Text(_event.RejectedParameter));
    }

    [Fact]
    public void Invalid_utf8_in_the_User_Agent_is_rejected_as_InvalidHeader()
    {
        byte[] userAgent = [(byte)'M', (byte)'o', 0xC3, 0x28, (byte)'z'];

        var accepted = _decoder.Decode(
            new RawBeacon(BeaconTransport.Pixel, "e=pv"u8, userAgent, [], [], [], ReceivedAtMs, VisitorId),
            _event);

        Assert.False(accepted);
        Assert.Equal(RejectReason.InvalidHeader, _event.RejectReason);
    }

    [Fact]
    public void A_User_Agent_is_checked_even_when_its_first_bytes_were_cached_from_a_longer_one()
    {
        // Cached User-Agents skip the UTF-8 check, and a long one is cached by its first MaxParsedBytes
        // bytes: here that prefix ends inside "é". Sent alone, those bytes are invalid and must be rejected.
        var longAgent = Encoding.UTF8.GetBytes(new string('A', UserAgentParser.MaxParsedBytes - 1) + "éB");
        var prefix = longAgent[..UserAgentParser.MaxParsedBytes];
        Assert.True(_decoder.Decode(new RawBeacon(BeaconTransport.Pixel, "e=pv"u8, longAgent, [], [], [], ReceivedAtMs, VisitorId), _event));
        Assert.NotNull(_event.ParsedUserAgent);

        Assert.False(_decoder.Decode(new RawBeacon(BeaconTransport.Pixel, "e=pv"u8, prefix, [], [], [], ReceivedAtMs, VisitorId), _event));
        Assert.Equal(RejectReason.InvalidHeader, _event.RejectReason);
    }

    [Fact]
    public void Invalid_utf8_in_the_Referer_is_rejected_as_InvalidHeader()
    {
        byte[] referer = [(byte)'h', 0xFF];

        var accepted = _decoder.Decode(
            new RawBeacon(BeaconTransport.Pixel, "e=pv"u8, "UA"u8, referer, [], [], ReceivedAtMs, VisitorId),
            _event);

        Assert.False(accepted);
        Assert.Equal(RejectReason.InvalidHeader, _event.RejectReason);
    }

    [Theory]
    [InlineData(new byte[] { 0xC3, (byte)'(' })]              // plain: taken as a range of the query
    [InlineData(new byte[] { (byte)'a', (byte)'+', 0xFF })]   // with an escape that makes no byte >= 0x80
    [InlineData(new byte[] { (byte)'%', (byte)'4', (byte)'1', 0x80 })]
    public void A_value_with_raw_bytes_that_are_not_utf8_is_rejected_as_InvalidUtf8_with_or_without_an_escape(byte[] value)
    {
        byte[] query = [.. "e=pv&x="u8, .. value, .. "&a=shop"u8];

        var accepted = _decoder.Decode(new RawBeacon(BeaconTransport.Pixel, query, "UA"u8, [], [], [], ReceivedAtMs, VisitorId), _event);

        Assert.False(accepted);
        Assert.Equal(RejectReason.InvalidUtf8, _event.RejectReason);
        Assert.Equal("x", BeaconEvent.Text(_event.RejectedParameter));
    }

    [Theory]
    [InlineData("e=pv")]
    [InlineData("e=pv&t=1&x=y")]
    [InlineData("a=shop")]
    [InlineData("e=pv&t=nope")]
    [InlineData("e=pv&x=%zz")]
    [InlineData("e=pv&x=%C0%AF")]
    [InlineData("=1")]
    [InlineData("?e=pv\r\n")]
    public void Decode_returns_false_exactly_when_a_reject_reason_is_set(string query)
    {
        var accepted = Decode(query);

        Assert.Equal(accepted, _event.RejectReason == RejectReason.None);
    }

    [Fact]
    public void Reusing_an_event_for_a_short_record_leaves_nothing_from_a_long_one()
    {
        Assert.True(Decode(PixelQuery, referer: "https://old.example/"));
        Assert.NotEqual(0, _event.PropertyCount);

        Assert.True(Decode("e=click", userAgent: "", referer: ""));

        Assert.Equal("click", BeaconEvent.Text(_event.EventType));
        Assert.True(_event.App.IsEmpty);
        Assert.True(_event.Platform.IsEmpty);
        Assert.True(_event.Url.IsEmpty);
        Assert.True(_event.Referrer.IsEmpty);
        Assert.True(_event.UserId.IsEmpty);
        Assert.True(_event.SessionId.IsEmpty);
        Assert.True(_event.ClientEventId.IsEmpty);
        Assert.True(_event.UserAgent.IsEmpty);
        Assert.Null(_event.ClientTimeMs);
        Assert.Equal(0, _event.PropertyCount);
    }

    [Fact]
    public void Reusing_an_event_after_a_rejected_record_clears_the_rejection()
    {
        Assert.False(Decode("e=pv&t=12x"));
        Assert.Equal(RejectReason.InvalidClientTime, _event.RejectReason);

        Assert.True(Decode("e=pv"));

        Assert.Equal(RejectReason.None, _event.RejectReason);
        Assert.True(_event.RejectedParameter.IsEmpty);
    }

    [Fact]
    public void Two_hundred_properties_are_all_kept_when_the_limit_allows_them()
    {
        var decoder = new BeaconDecoder(new ParserOptions { MaxProperties = 500 });
        var query = "e=pv&" + string.Join('&', Enumerable.Range(0, 200).Select(static i => $"k{i}=v{i}"));

        Assert.True(decoder.Decode(Raw(query), _event));

        Assert.Equal(200, _event.PropertyCount);
        for (var i = 0; i < 200; i++)
        {
            Assert.Equal($"k{i}", BeaconEvent.Text(_event.PropertyKey(i)));
            Assert.Equal($"v{i}", BeaconEvent.Text(_event.PropertyValue(i)));
        }
    }

    [Fact]
    public void A_record_larger_than_the_event_buffer_decodes_whole_and_the_event_stays_reusable()
    {
        var decoder = new BeaconDecoder(new ParserOptions { MaxValueBytes = 64 * 1024 });
        var big = new string('x', 20_000);
        var userAgent = new string('u', 9_000);

        Assert.True(decoder.Decode(Raw($"e=pv&u={big}&title={big}", userAgent: userAgent, referer: "https://r.example/"), _event));
        Assert.Equal(big, BeaconEvent.Text(_event.Url));
        Assert.Equal(big, BeaconEvent.Text(_event.PropertyValue(0)));
        Assert.Equal(userAgent, BeaconEvent.Text(_event.UserAgent));
        Assert.Equal("https://r.example/", BeaconEvent.Text(_event.Referrer));

        Assert.True(decoder.Decode(Raw("e=click&u=short"), _event));
        Assert.Equal("short", BeaconEvent.Text(_event.Url));
        Assert.Equal(0, _event.PropertyCount);
    }

    [Fact]
    public void The_realistic_pixel_query_decodes_completely()
    {
        Assert.True(Decode(PixelQuery));

        Assert.Equal("https://shop.example/cart?step=2", BeaconEvent.Text(_event.Url));
        Assert.Equal("https://search.example/?q=你好", BeaconEvent.Text(_event.Referrer));
        Assert.Equal([("cur", "EUR"), ("total", "12.50"), ("title", "Café 😀")], Properties(_event));
    }

    public static TheoryData<int> PixelQueryPrefixLengths()
    {
        var data = new TheoryData<int>();
        for (var length = 0; length <= PixelQuery.Length; length++)
        {
            data.Add(length);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(PixelQueryPrefixLengths))]
    public void Every_prefix_of_a_realistic_pixel_query_is_accepted_or_rejected_with_a_named_reason(int length)
    {
        var prefix = PixelQuery[..length];

        var accepted = Decode(prefix);

        Assert.Equal(accepted, _event.RejectReason == RejectReason.None);
        Assert.True(Enum.IsDefined(_event.RejectReason));
        Assert.NotEqual(RejectReason.InternalError, _event.RejectReason);
        Assert.NotEmpty(_event.RejectReason.Name());
        if (length == PixelQuery.Length || PixelQuery[length] == '&')
        {
            // A prefix made of whole pairs is itself a good record.
            Assert.True(accepted, $"'{prefix}' was rejected as {_event.RejectReason}");
        }
    }

    [Fact]
    public void A_good_record_carries_its_parsed_user_agent()
    {
        Assert.True(Decode("e=pv"));

        var agent = _event.ParsedUserAgent;
        Assert.NotNull(agent);
        Assert.Equal("Firefox", agent.BrowserFamily);
        Assert.Equal("140", agent.BrowserMajor);
        Assert.Equal("Linux", agent.OsFamily);
        Assert.Equal(DeviceClass.Desktop, agent.DeviceClass);
        Assert.False(_event.IsBot);
    }

    [Fact]
    public void A_bot_is_decoded_and_flagged_not_dropped()
    {
        Assert.True(Decode("e=pv", userAgent: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"));

        Assert.True(_event.IsBot);
        Assert.Equal(DeviceClass.Bot, _event.ParsedUserAgent?.DeviceClass);
    }

    [Fact]
    public void A_record_without_a_user_agent_or_a_rejected_one_has_no_parsed_user_agent()
    {
        Assert.True(Decode("e=pv", userAgent: ""));
        Assert.Null(_event.ParsedUserAgent);

        Assert.True(Decode("e=pv"));
        Assert.False(Decode("a=shop"));
        Assert.Null(_event.ParsedUserAgent);
        Assert.False(_event.IsBot);
    }

    private bool Decode(
        string query,
        BeaconTransport transport = BeaconTransport.Pixel,
        string userAgent = UserAgent,
        string referer = "") =>
        _decoder.Decode(Raw(query, transport, userAgent, referer), _event);

    [Fact]
    public void A_record_whose_user_agent_is_over_the_miss_budget_is_kept_with_its_raw_user_agent_and_counted()
    {
        var decoder = new BeaconDecoder(new ParserOptions { UserAgentMissesPerSecond = 1 }, new Beacon.Router.Tests.ManualTimeProvider());

        Assert.True(decoder.Decode(Raw("e=pv", userAgent: UserAgent), _event));
        Assert.Equal("Firefox", _event.ParsedUserAgent?.BrowserFamily);

        const string Other = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15";
        Assert.True(decoder.Decode(Raw("e=pv", userAgent: Other), _event));
        Assert.Equal(RejectReason.None, _event.RejectReason);
        Assert.Null(_event.ParsedUserAgent);
        Assert.Equal(Other, BeaconEvent.Text(_event.UserAgent));
        Assert.Equal(1, decoder.UnparsedUserAgents);

        Assert.True(decoder.Decode(Raw("e=pv", userAgent: UserAgent), _event)); // cached: no budget needed
        Assert.NotNull(_event.ParsedUserAgent);
        Assert.Equal(1, decoder.UnparsedUserAgents);
    }

    private static RawBeacon Raw(
        string query,
        BeaconTransport transport = BeaconTransport.Pixel,
        string userAgent = UserAgent,
        string referer = "") =>
        new(
            transport,
            Encoding.UTF8.GetBytes(query),
            Encoding.UTF8.GetBytes(userAgent),
            Encoding.UTF8.GetBytes(referer),
            Encoding.UTF8.GetBytes(Route),
            Encoding.UTF8.GetBytes(ClientAddress),
            ReceivedAtMs,
            VisitorId);

    private static List<(string Key, string Value)> Properties(BeaconEvent decoded)
    {
        var properties = new List<(string Key, string Value)>();
        for (var i = 0; i < decoded.PropertyCount; i++)
        {
            properties.Add((BeaconEvent.Text(decoded.PropertyKey(i)), BeaconEvent.Text(decoded.PropertyValue(i))));
        }

        return properties;
    }

    /// <summary>A version-7 Guid starts with its Unix-milliseconds timestamp, 48 bits big-endian.</summary>
    private static long TimestampOf(Guid id)
    {
        var bytes = id.ToByteArray(bigEndian: true);
        long ms = 0;
        for (var i = 0; i < 6; i++)
        {
            ms = (ms << 8) | bytes[i];
        }

        return ms;
    }
}
