namespace Beacon.Parser.Decoding;

/// <summary>
/// Walks the <c>key=value</c> pairs of a raw (still encoded) query string or form body.
/// Empty segments (<c>a=1&amp;&amp;b=2</c>) are skipped; a key without '=' has an empty value.
/// </summary>
public ref struct QueryStringReader
{
    private ReadOnlySpan<byte> _remaining;

    public QueryStringReader(ReadOnlySpan<byte> query)
    {
        _remaining = Trim(query);
    }

    /// <summary>The pairs part of <paramref name="query"/>: without the '?' of a raw target and the trailing newline some beacon bodies carry.</summary>
    internal static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> query)
    {
        if (!query.IsEmpty && query[0] == (byte)'?')
        {
            query = query[1..];
        }

        return query.TrimEnd("\r\n"u8);
    }

    public bool MoveNext(out ReadOnlySpan<byte> key, out ReadOnlySpan<byte> value)
    {
        while (!_remaining.IsEmpty)
        {
            var end = _remaining.IndexOf((byte)'&');
            var pair = end < 0 ? _remaining : _remaining[..end];
            _remaining = end < 0 ? default : _remaining[(end + 1)..];
            if (pair.IsEmpty)
            {
                continue;
            }

            var equals = pair.IndexOf((byte)'=');
            key = equals < 0 ? pair : pair[..equals];
            value = equals < 0 ? default : pair[(equals + 1)..];
            return true;
        }

        key = default;
        value = default;
        return false;
    }
}
