using Beacon.Parser.Model;

namespace Beacon.Parser.Decoding;

/// <summary>
/// Reads campaign and registration-link codes from the page URL's query: <c>utm_source</c> …
/// <c>utm_content</c>, and the <c>source</c>/<c>ref</c> codes of links such as a QR-code sign-up URL
/// (<c>…/login?source=10012&amp;ref=kd4b</c>), also after a hash route (<c>#/login?source=…</c>). Best effort: a malformed code is skipped, never a reject.
/// </summary>
internal static class ChannelAttribution
{
    public static void Read(BeaconEvent into)
    {
        var url = into.Url;
        if (url.IsEmpty)
        {
            return;
        }

        var hash = url.IndexOf((byte)'#');
        var fragment = hash < 0 ? default : url[(hash + 1)..];
        if (hash >= 0)
        {
            url = url[..hash];
        }

        // The query first; then a hash-routed page's own query (#/login?source=…) for codes not found there.
        ReadQuery(into, url);
        ReadQuery(into, fragment);
    }

    private static void ReadQuery(BeaconEvent into, ReadOnlySpan<byte> url)
    {
        var start = url.IndexOf((byte)'?');
        if (start < 0)
        {
            return;
        }

        var reader = new QueryStringReader(url[(start + 1)..]);
        while (reader.MoveNext(out var key, out var value))
        {
            if (FieldOf(key) is not { } field || !into.Channel(field).IsEmpty || value.IsEmpty)
            {
                continue; // not a channel code, or the first one already taken
            }

            // The URL is decoded, well-formed UTF-8 already: a value only needs checking if an escape in it makes a byte ≥ 0x80.
            if (PercentDecoder.Decode(value, into.FreeSpace, wellFormed: true, out var length) == DecodeStatus.Done && length > 0)
            {
                into.SetChannel(field, into.Commit(length));
            }
        }
    }

    private static ChannelField? FieldOf(ReadOnlySpan<byte> key) => key.Length switch
    {
        // By length first: most keys of a page URL are none of these and fail at the length.
        3 when key.SequenceEqual("ref"u8) => ChannelField.Ref,
        6 when key.SequenceEqual("source"u8) => ChannelField.Source,
        8 when key.SequenceEqual("utm_term"u8) => ChannelField.UtmTerm,
        10 when key.SequenceEqual("utm_source"u8) => ChannelField.UtmSource,
        10 when key.SequenceEqual("utm_medium"u8) => ChannelField.UtmMedium,
        11 when key.SequenceEqual("utm_content"u8) => ChannelField.UtmContent,
        12 when key.SequenceEqual("utm_campaign"u8) => ChannelField.UtmCampaign,
        _ => null,
    };
}
