using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Beacon.Parser.Input;
using Beacon.Parser.Model;
using Beacon.Router.Records;
using Beacon.Router.Routing;

namespace Beacon.Router.Tests.Records;

public sealed partial class RecordWriterTests
{
    private const string FullQuery =
        "e=pv&a=shop&p=web&u=https%3A%2F%2Fexample.com%2Fcart%3Fx%3D1&r=https%3A%2F%2Fsearch.example%2F"
        + "&t=1699999999000&uid=u-42&sid=s-7&eid=evt-1&color=red&size=XL";

    private readonly RecordWriter _writer = new();
    private readonly RouteTable _table = new(new RouteTableOptions());

    [Fact]
    public void Path_and_channel_fields_are_written_when_sent()
    {
        var url = Uri.EscapeDataString("https://shop.example/login?source=10012&ref=kd4b&utm_campaign=bf");
        var evt = TestBeacon.Of($"e=leave&u={url}&rr=https%3A%2F%2Fhome%2F&spm=s.p.b.1&src=s.l.g.2&ssrc=s.h.b.3&nav=spa&pvid=pv-1&dwell=4200&sdk=js%2F1.0.0").Decode();

        using var doc = WriteEvent(evt, sampleRate: 1.0);
        var root = doc.RootElement;

        Assert.Equal("https://home/", root.GetProperty("referrer_referrer").GetString());
        Assert.Equal("s.p.b.1", root.GetProperty("spm").GetString());
        Assert.Equal("s.l.g.2", root.GetProperty("source_spm").GetString());
        Assert.Equal("s.h.b.3", root.GetProperty("source_source_spm").GetString());
        Assert.Equal("spa", root.GetProperty("navigation").GetString());
        Assert.Equal("pv-1", root.GetProperty("page_view_id").GetString());
        Assert.Equal(4200, root.GetProperty("dwell_ms").GetInt64());
        Assert.Equal("js/1.0.0", root.GetProperty("sdk").GetString());
        Assert.Equal("""{"utm_campaign":"bf","source":"10012","ref":"kd4b"}""", root.GetProperty("channel").GetRawText());
        Assert.False(root.TryGetProperty("props", out _));
        Assert.False(root.TryGetProperty("truncated", out _));
    }

    [Fact]
    public void A_truncated_field_is_named_in_the_record()
    {
        var options = new Beacon.Parser.ParserOptions();
        options.Fields["u"] = new Beacon.Parser.FieldLimit { MaxBytes = 8, Truncate = true };
        var beacon = TestBeacon.Of("e=pv&u=https%3A%2F%2Fexample.com%2F");
        var evt = new BeaconEvent();
        new Beacon.Parser.Decoding.BeaconDecoder(options).Decode(beacon.Raw, evt);

        using var doc = WriteEvent(evt, sampleRate: 1.0);

        Assert.Equal("https://", doc.RootElement.GetProperty("url").GetString());
        Assert.Equal("""["u"]""", doc.RootElement.GetProperty("truncated").GetRawText());
    }

    [Fact]
    public void An_event_record_carries_every_field_the_client_sent()
    {
        var evt = TestBeacon.Of(FullQuery).Decode();
        Assert.Equal(RejectReason.None, evt.RejectReason);

        using var doc = WriteEvent(evt, sampleRate: 1.0);
        var root = doc.RootElement;

        Assert.Equal(RecordWriter.SchemaVersion, root.GetProperty("schema").GetInt32());
        Assert.Equal(1, root.GetProperty("schema").GetInt32());
        Assert.Equal("evt-1", root.GetProperty("event_id").GetString());
        Assert.Equal("pv", root.GetProperty("event").GetString());
        Assert.Equal("shop", root.GetProperty("app").GetString());
        Assert.Equal("web", root.GetProperty("platform").GetString());
        Assert.Equal("pageview", root.GetProperty("route").GetString());
        Assert.Equal("p1", root.GetProperty("priority").GetString());
        Assert.Equal(1.0, root.GetProperty("sample_rate").GetDouble());
        Assert.Equal(TestBeacon.DefaultReceivedAtMs, root.GetProperty("received_at").GetInt64());
        Assert.Equal(1699999999000, root.GetProperty("client_time").GetInt64());
        Assert.Equal(TestBeacon.DefaultVisitor.ToString("N"), root.GetProperty("visitor_id").GetString());
        Assert.Equal("u-42", root.GetProperty("user_id").GetString());
        Assert.Equal("s-7", root.GetProperty("session_id").GetString());
        Assert.Equal("https://example.com/cart?x=1", root.GetProperty("url").GetString());
        Assert.Equal("https://search.example/", root.GetProperty("referrer").GetString());
        Assert.Equal("Mozilla/5.0 (X11; Linux x86_64)", root.GetProperty("user_agent").GetString());
        Assert.Equal("""{"browser":"Other","os":"Linux","device":"desktop","bot":false}""", root.GetProperty("ua").GetRawText());
        Assert.Equal("203.0.113.0", root.GetProperty("client_ip").GetString()); // anonymised by default
        Assert.Equal("pixel", root.GetProperty("transport").GetString());
        var props = root.GetProperty("props");
        Assert.Equal(JsonValueKind.Object, props.ValueKind);
        Assert.Equal(
            new[] { ("color", "red"), ("size", "XL") },
            props.EnumerateObject().Select(static p => (p.Name, p.Value.GetString()!)));
    }

    [Fact]
    public void The_visitor_id_is_32_lowercase_hex_digits()
    {
        var evt = new TestBeacon { Query = TestBeacon.Utf8("e=pv"), VisitorId = Guid.Parse("ABCDEF01-2345-6789-ABCD-EF0123456789") }.Decode();

        using var doc = WriteEvent(evt, 1.0);
        var visitor = doc.RootElement.GetProperty("visitor_id").GetString()!;

        Assert.Matches(LowercaseHex32(), visitor);
        Assert.Equal("abcdef0123456789abcdef0123456789", visitor);
    }

    [Fact]
    public void Without_a_client_event_id_the_generated_id_is_used()
    {
        var evt = TestBeacon.Of("e=pv").Decode();

        using var doc = WriteEvent(evt, 1.0);
        var eventId = doc.RootElement.GetProperty("event_id").GetString();

        Assert.NotEqual(Guid.Empty, evt.GeneratedEventId);
        Assert.True(Guid.TryParse(eventId, out var parsed));
        Assert.Equal(evt.GeneratedEventId, parsed);
    }

    [Fact]
    public void Absent_optional_fields_are_omitted()
    {
        var evt = new TestBeacon { Query = TestBeacon.Utf8("e=pv"), UserAgent = default, ClientAddress = default }.Decode();

        using var doc = WriteEvent(evt, 1.0);
        var names = doc.RootElement.EnumerateObject().Select(static p => p.Name).ToArray();

        Assert.Equal(
            new[] { "schema", "event_id", "event", "route", "priority", "sample_rate", "received_at", "event_time", "visitor_id", "transport" },
            names);
    }

    [Fact]
    public void Each_record_carries_its_own_user_agent_when_more_parse_results_than_encoded_slots_alternate()
    {
        // 600 distinct parse results share the writer's 256 pre-encoded slots: some must evict each other.
        var events = Enumerable.Range(0, 600).Select(static i => new TestBeacon
        {
            Query = TestBeacon.Utf8("e=pv"),
            UserAgent = TestBeacon.Utf8($"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{100 + i}.0.0.0 Safari/537.36"),
        }.Decode()).ToArray();

        foreach (var i in Enumerable.Range(0, 600).Concat(Enumerable.Range(0, 600).Reverse()).Concat(Enumerable.Range(0, 600)))
        {
            using var doc = WriteEvent(events[i], 1.0);
            Assert.Equal($$"""{"browser":"Chrome","browser_major":"{{100 + i}}","os":"Windows","os_version":"10","device":"desktop","bot":false}""",
                doc.RootElement.GetProperty("ua").GetRawText());
        }
    }

    [Theory]
    [InlineData("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
        """{"browser":"Mobile Safari","browser_major":"17","os":"iOS","os_version":"17.4","device":"mobile","bot":false}""")]
    [InlineData("Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
        """{"browser":"Chrome","browser_major":"124","os":"Android","os_version":"13","device":"tablet","bot":false}""")]
    [InlineData("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        """{"browser":"bingbot","browser_major":"2","os":"Other","device":"bot","bot":true}""")]
    public void The_user_agent_is_written_parsed_with_bots_flagged(string userAgent, string expected)
    {
        var evt = new TestBeacon { Query = TestBeacon.Utf8("e=pv"), UserAgent = TestBeacon.Utf8(userAgent) }.Decode();

        using var doc = WriteEvent(evt, 1.0);

        Assert.Equal(userAgent, doc.RootElement.GetProperty("user_agent").GetString());
        Assert.Equal(expected, doc.RootElement.GetProperty("ua").GetRawText());
    }

    [Theory]
    [InlineData("order", "order", "p0")]
    [InlineData("pv", "pageview", "p1")]
    [InlineData("exp", "exposure", "p2")]
    [InlineData("perf", "perf", "p3")]
    [InlineData("mystery", "default", "p1")]
    public void The_route_and_priority_are_those_resolved(string eventType, string route, string priority)
    {
        var evt = TestBeacon.Of("e=" + eventType).Decode();

        using var doc = WriteEvent(evt, 1.0);

        Assert.Equal(route, doc.RootElement.GetProperty("route").GetString());
        Assert.Equal(priority, doc.RootElement.GetProperty("priority").GetString());
    }

    [Fact]
    public void The_sample_rate_is_written_as_given()
    {
        var evt = TestBeacon.Of("e=perf").Decode();

        using var doc = WriteEvent(evt, sampleRate: 0.25);

        Assert.Equal(0.25, doc.RootElement.GetProperty("sample_rate").GetDouble());
    }

    [Fact]
    public void A_beacon_post_is_written_as_beacon_post()
    {
        var evt = new TestBeacon { Query = TestBeacon.Utf8("e=leave"), Transport = BeaconTransport.BeaconPost }.Decode();

        using var doc = WriteEvent(evt, 1.0);

        Assert.Equal("beacon_post", doc.RootElement.GetProperty("transport").GetString());
    }

    [Fact]
    public void Non_ascii_text_is_written_unescaped_and_round_trips()
    {
        // 你好 = E4 BD A0 E5 A5 BD
        var evt = TestBeacon.Of("e=pv&u=https%3A%2F%2Fexample.cn%2F%E4%BD%A0%E5%A5%BD&title=%E4%BD%A0%E5%A5%BD&%E4%BD%A0=%E5%A5%BD").Decode();

        var bytes = _writer.WriteEvent(evt, _table.Resolve(evt.Route, evt.EventType), 1.0).ToArray();
        using var doc = JsonDocument.Parse(bytes);

        Assert.True(bytes.AsSpan().IndexOf("\"你好\""u8) >= 0, Encoding.UTF8.GetString(bytes));
        Assert.DoesNotContain("\\u", Encoding.UTF8.GetString(bytes), StringComparison.Ordinal);
        Assert.Equal("https://example.cn/你好", doc.RootElement.GetProperty("url").GetString());
        Assert.Equal("你好", doc.RootElement.GetProperty("props").GetProperty("title").GetString());
        Assert.Equal("好", doc.RootElement.GetProperty("props").GetProperty("你").GetString());
    }

    [Fact]
    public void Quotes_backslashes_and_control_characters_are_escaped_into_valid_json()
    {
        var evt = TestBeacon.Of("e=pv&note=%22quoted%22%0A%01%5C%09end&%22k%22=%0D").Decode();

        var bytes = _writer.WriteEvent(evt, _table.Resolve(evt.Route, evt.EventType), 1.0).ToArray();
        using var doc = JsonDocument.Parse(bytes);

        Assert.DoesNotContain(bytes, static b => b < 0x20);
        var props = doc.RootElement.GetProperty("props");
        Assert.Equal("\"quoted\"\n\u0001\\\tend", props.GetProperty("note").GetString());
        Assert.Equal("\r", props.GetProperty("\"k\"").GetString());
    }

    [Fact]
    public void Every_ascii_character_and_four_byte_utf8_round_trip_in_keys_and_values()
    {
        var text = new string([.. Enumerable.Range(0, 0x80).Select(static c => (char)c)]) + "é你😀";
        var escaped = Uri.EscapeDataString(text);
        var evt = TestBeacon.Of($"e=pv&v={escaped}&k{escaped}=x").Decode();
        Assert.Equal(RejectReason.None, evt.RejectReason);

        using var doc = WriteEvent(evt, 1.0);

        var props = doc.RootElement.GetProperty("props");
        Assert.Equal(text, props.GetProperty("v").GetString());
        Assert.Equal("x", props.GetProperty("k" + text).GetString());
    }

    [Fact]
    public void A_record_longer_than_the_buffer_is_written_whole()
    {
        // 3,000 control characters escape to 18,000 bytes: several times the writer's first buffer.
        var value = new string('\u0001', 3000);
        var evt = TestBeacon.Of($"e=pv&v={Uri.EscapeDataString(value)}&after=1").Decode();

        using var doc = WriteEvent(evt, 1.0);

        Assert.Equal(value, doc.RootElement.GetProperty("props").GetProperty("v").GetString());
        Assert.Equal("1", doc.RootElement.GetProperty("props").GetProperty("after").GetString());
    }

    [Fact]
    public void A_second_record_does_not_carry_anything_of_the_first()
    {
        var first = TestBeacon.Of(FullQuery).Decode();
        _ = _writer.WriteEvent(first, _table.Resolve(first.Route, first.EventType), 1.0);
        var second = TestBeacon.Of("e=click").Decode();

        using var doc = WriteEvent(second, 1.0);

        Assert.Equal("click", doc.RootElement.GetProperty("event").GetString());
        Assert.False(doc.RootElement.TryGetProperty("props", out _));
        Assert.False(doc.RootElement.TryGetProperty("app", out _));
    }

    [Fact]
    public void A_rejected_record_carries_reason_parameter_and_raw_query()
    {
        var beacon = new TestBeacon
        {
            Query = TestBeacon.Utf8("e=pv&x=%ZZ&a=shop"),
            Route = TestBeacon.Utf8("order"),
            Referer = TestBeacon.Utf8("https://example.com/"),
        };
        var evt = beacon.Decode();
        Assert.Equal(RejectReason.InvalidPercentEncoding, evt.RejectReason);

        using var doc = WriteRejected(beacon, evt);
        var root = doc.RootElement;

        Assert.Equal(1, root.GetProperty("schema").GetInt32());
        Assert.True(Guid.TryParse(root.GetProperty("event_id").GetString(), out var eventId));
        Assert.Equal(evt.GeneratedEventId, eventId);
        Assert.Equal("invalid_percent_encoding", root.GetProperty("reason").GetString());
        Assert.Equal("x", root.GetProperty("parameter").GetString());
        Assert.Equal("pixel", root.GetProperty("transport").GetString());
        Assert.Equal("order", root.GetProperty("route").GetString());
        Assert.Equal(TestBeacon.DefaultReceivedAtMs, root.GetProperty("received_at").GetInt64());
        Assert.Equal(TestBeacon.DefaultVisitor.ToString("N"), root.GetProperty("visitor_id").GetString());
        Assert.Equal("203.0.113.0", root.GetProperty("client_ip").GetString()); // anonymised by default
        Assert.Equal("Mozilla/5.0 (X11; Linux x86_64)", root.GetProperty("user_agent").GetString());
        Assert.Equal("https://example.com/", root.GetProperty("referrer").GetString());
        Assert.Equal("e=pv&x=%ZZ&a=shop", root.GetProperty("raw").GetString());
        Assert.False(root.TryGetProperty("raw_base64", out _));
    }

    [Theory]
    [InlineData("a=shop", "missing_event_type", null)]
    [InlineData("e=pv&t=yesterday", "invalid_client_time", "t")]
    [InlineData("e=pv&=x", "empty_parameter_name", null)]
    [InlineData("e=pv&x=%C3%28", "invalid_utf8", "x")]
    public void The_reason_is_written_in_snake_case(string query, string reason, string? parameter)
    {
        var beacon = TestBeacon.Of(query);
        var evt = beacon.Decode();

        using var doc = WriteRejected(beacon, evt);

        Assert.Equal(reason, doc.RootElement.GetProperty("reason").GetString());
        Assert.Equal(parameter, doc.RootElement.TryGetProperty("parameter", out var p) ? p.GetString() : null);
        Assert.Equal(query, doc.RootElement.GetProperty("raw").GetString());
    }

    [Fact]
    public void A_raw_query_that_is_not_utf8_is_kept_as_base64()
    {
        byte[] query = [.. "e=pv&x="u8, 0xFF, 0xFE, .. "&y=1"u8];
        var beacon = new TestBeacon { Query = query };
        var evt = beacon.Decode();
        Assert.Equal(RejectReason.InvalidUtf8, evt.RejectReason);

        using var doc = WriteRejected(beacon, evt);

        Assert.False(doc.RootElement.TryGetProperty("raw", out _));
        Assert.Equal(query, doc.RootElement.GetProperty("raw_base64").GetBytesFromBase64());
        Assert.Equal("invalid_utf8", doc.RootElement.GetProperty("reason").GetString());
    }

    [Fact]
    public void A_user_agent_that_is_not_utf8_is_omitted_rather_than_thrown_on()
    {
        var beacon = new TestBeacon
        {
            Query = TestBeacon.Utf8("e=pv"),
            UserAgent = new byte[] { (byte)'M', 0xC3, 0x28, 0xFF },
            Referer = new byte[] { 0xFF, (byte)'/' },
        };
        var evt = beacon.Decode();
        Assert.Equal(RejectReason.InvalidHeader, evt.RejectReason);

        using var doc = WriteRejected(beacon, evt);

        Assert.Equal("invalid_header", doc.RootElement.GetProperty("reason").GetString());
        Assert.False(doc.RootElement.TryGetProperty("user_agent", out _));
        Assert.False(doc.RootElement.TryGetProperty("referrer", out _));
        Assert.Equal("e=pv", doc.RootElement.GetProperty("raw").GetString());
    }

    [Fact]
    public void A_parameter_name_that_is_not_utf8_still_makes_a_valid_dead_letter_record()
    {
        // The decoder names the raw key as the rejected parameter; here the key itself is not UTF-8.
        byte[] query = [.. "e=pv&"u8, 0xFF, .. "=1"u8];
        var beacon = new TestBeacon { Query = query };
        var evt = beacon.Decode();
        Assert.Equal(RejectReason.InvalidUtf8, evt.RejectReason);

        using var doc = WriteRejected(beacon, evt);

        Assert.Equal("invalid_utf8", doc.RootElement.GetProperty("reason").GetString());
        Assert.Equal(query, doc.RootElement.GetProperty("raw_base64").GetBytesFromBase64());
    }

    [Fact]
    public void A_rejected_beacon_post_keeps_its_transport_and_raw_body()
    {
        var beacon = new TestBeacon { Query = TestBeacon.Utf8("a=shop&note=\"hi\"\n"), Transport = BeaconTransport.BeaconPost };
        var evt = beacon.Decode();

        using var doc = WriteRejected(beacon, evt);

        Assert.Equal("beacon_post", doc.RootElement.GetProperty("transport").GetString());
        Assert.Equal("a=shop&note=\"hi\"\n", doc.RootElement.GetProperty("raw").GetString());
    }

    [Fact]
    public void The_event_time_is_the_client_time_corrected_by_the_clients_clock_skew()
    {
        // Sent 60 s after the event by a clock 1 h behind the server's.
        const long sentAt = TestBeacon.DefaultReceivedAtMs - 3_600_000;
        var evt = TestBeacon.Of($"e=pv&t={sentAt - 60_000}&st={sentAt}").Decode();

        using var doc = WriteEvent(evt, sampleRate: 1.0);

        Assert.Equal(sentAt, doc.RootElement.GetProperty("sent_at").GetInt64());
        Assert.Equal(TestBeacon.DefaultReceivedAtMs - 60_000, doc.RootElement.GetProperty("event_time").GetInt64());
    }

    private JsonDocument WriteEvent(BeaconEvent evt, double sampleRate) =>
        JsonDocument.Parse(_writer.WriteEvent(evt, _table.Resolve(evt.Route, evt.EventType), sampleRate).ToArray());

    private JsonDocument WriteRejected(TestBeacon beacon, BeaconEvent evt) =>
        JsonDocument.Parse(_writer.WriteRejected(beacon.Raw, evt).ToArray());

    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex LowercaseHex32();
}
