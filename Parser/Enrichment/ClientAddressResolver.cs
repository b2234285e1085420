using System.Buffers.Binary;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;

namespace Beacon.Parser.Enrichment;

/// <summary>
/// Works out who the client is and what of its address may be kept. Forwarding headers are believed
/// only when the connection comes from a trusted proxy: the client is then the right-most address in
/// the chain that is not itself a trusted proxy. The address is then anonymised (by default the last
/// 8 bits of IPv4, the last 80 of IPv6). Neither allocates for the usual forms (<see cref="IPv6Text"/>);
/// an IPv6 address with a zone or a dotted IPv4 tail, and IPv6 trusted proxies, go through <see cref="IPAddress"/>.
/// </summary>
public sealed class ClientAddressResolver
{
    private const int MaxAddressText = 64;

    /// <summary>"0." … "255.": an octet's digits and a dot in the low 4 bytes, the count of both above them.</summary>
    private static readonly ulong[] OctetText = [.. Enumerable.Range(0, 256).Select(static octet =>
    {
        var text = $"{octet}.";
        var packed = (ulong)text.Length << 32;
        for (var i = 0; i < text.Length; i++)
        {
            packed |= (ulong)text[i] << (8 * i);
        }

        return packed;
    })];

    private readonly (uint Network, uint Mask)[] _trustedV4;
    private readonly IPNetwork[] _trustedV6;
    private readonly int _ipv4Bits;
    private readonly int _ipv6Bits;

    public ClientAddressResolver(ParserOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var networks = options.TrustedProxies.Select(static text => ParseNetwork(text)
            ?? throw new ArgumentException($"Trusted proxy '{text}' is not an address or a network (CIDR).", nameof(options))).ToList();
        _trustedV4 = [.. networks.Where(static n => n.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
            .Select(static n => (ToUInt32(n.BaseAddress), n.PrefixLength == 0 ? 0u : uint.MaxValue << (32 - n.PrefixLength)))];
        _trustedV6 = [.. networks.Where(static n => n.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)];
        _ipv4Bits = Bits(options.AnonymizeIPv4Bits, 32, nameof(options.AnonymizeIPv4Bits));
        _ipv6Bits = Bits(options.AnonymizeIPv6Bits, 128, nameof(options.AnonymizeIPv6Bits));
    }

    /// <summary>
    /// Writes the client's (anonymised) address as text into <paramref name="destination"/>; returns
    /// its length, 0 when there is none to write.
    /// </summary>
    public int Resolve(ReadOnlySpan<byte> peer, ReadOnlySpan<byte> forwardedFor, ReadOnlySpan<byte> forwarded, Span<byte> destination)
    {
        var client = peer;
        if ((_trustedV4.Length > 0 || _trustedV6.Length > 0) && IsTrusted(peer))
        {
            // X-Forwarded-For when present, else RFC 7239's Forwarded.
            client = forwardedFor.IsEmpty ? RightmostUntrusted(forwarded, rfc7239: true, client) : RightmostUntrusted(forwardedFor, rfc7239: false, client);
        }

        return Anonymize(client, destination);
    }

    private ReadOnlySpan<byte> RightmostUntrusted(ReadOnlySpan<byte> chain, bool rfc7239, ReadOnlySpan<byte> fallback)
    {
        var client = fallback;
        while (!chain.IsEmpty)
        {
            var comma = chain.LastIndexOf((byte)',');
            var entry = (comma < 0 ? chain : chain[(comma + 1)..]).Trim((byte)' ');
            chain = comma < 0 ? default : chain[..comma];
            var address = rfc7239 ? ForParameter(entry) : entry;
            if (!TryParse(address, out _, out _))
            {
                break; // garbage in the chain: trust nothing further left
            }

            client = address;
            if (!IsTrusted(address))
            {
                break;
            }
        }

        return client;
    }

    /// <summary>The address of a <c>for=</c> parameter: quotes, brackets and any port removed.</summary>
    private static ReadOnlySpan<byte> ForParameter(ReadOnlySpan<byte> element)
    {
        foreach (var range in element.Split((byte)';'))
        {
            var pair = element[range].Trim((byte)' ');
            if (pair.Length > 4 && Ascii.EqualsIgnoreCase(pair[..4], "for="u8))
            {
                var value = pair[4..].Trim((byte)'"');
                if (value.StartsWith("["u8))
                {
                    var end = value.IndexOf((byte)']');
                    return end < 0 ? default : value[1..end];
                }

                var colon = value.IndexOf((byte)':');
                return colon < 0 || value.LastIndexOf((byte)':') != colon ? value : value[..colon];
            }
        }

        return default;
    }

    private bool IsTrusted(ReadOnlySpan<byte> address)
    {
        if (!TryParse(address, out var v4, out var v6))
        {
            return false;
        }

        if (v6 is null)
        {
            foreach (var (network, mask) in _trustedV4)
            {
                if ((v4 & mask) == (network & mask))
                {
                    return true;
                }
            }

            return false;
        }

        foreach (var network in _trustedV6)
        {
            if (network.Contains(v6))
            {
                return true;
            }
        }

        return false;
    }

    private int Anonymize(ReadOnlySpan<byte> address, Span<byte> destination) =>
        TryParseIPv4(address, out var v4) ? FormatIPv4(AnonymizeIPv4(v4), destination) : AnonymizeOther(address, destination);

    private uint AnonymizeIPv4(uint address) => _ipv4Bits == 32 ? 0 : address & (uint.MaxValue << _ipv4Bits);

    /// <summary>IPv6 in its usual forms on spans; <see cref="IPAddress"/> only for the rest (zones, dotted tails).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)] // keeps the IPv4 path free of this one's stack buffer
    private int AnonymizeOther(ReadOnlySpan<byte> address, Span<byte> destination)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!IPv6Text.TryParse(address, bytes))
        {
            if (!TryParse(address, out var v4, out var parsed))
            {
                return 0; // not an address: write none rather than something unverified
            }

            if (parsed is null)
            {
                return FormatIPv4(AnonymizeIPv4(v4), destination);
            }

            parsed.TryWriteBytes(bytes, out _);
        }
        else if (IsIPv4Mapped(bytes))
        {
            return FormatIPv4(AnonymizeIPv4(BinaryPrimitives.ReadUInt32BigEndian(bytes[12..])), destination);
        }

        ZeroLowBits(bytes, _ipv6Bits);
        if (IPv6Text.TryFormat(bytes, destination, out var written))
        {
            return written;
        }

        new IPAddress(bytes).TryFormat(destination, out written);
        return written;
    }

    /// <summary>::ffff:a.b.c.d, however written: an IPv4 client of a dual-stack socket.</summary>
    private static bool IsIPv4Mapped(ReadOnlySpan<byte> bytes) =>
        bytes[..10].IndexOfAnyExcept((byte)0) < 0 && bytes[10] == 0xFF && bytes[11] == 0xFF;

    private static bool TryParse(ReadOnlySpan<byte> text, out uint v4, out IPAddress? v6)
    {
        v6 = null;
        if (TryParseIPv4(text, out v4))
        {
            return true;
        }

        if (text.IsEmpty || text.Length > MaxAddressText || text.IndexOf((byte)':') < 0)
        {
            return false;
        }

        Span<char> chars = stackalloc char[MaxAddressText];
        var length = Encoding.ASCII.GetChars(text, chars);
        if (!IPAddress.TryParse(chars[..length], out var parsed))
        {
            return false;
        }

        if (parsed.IsIPv4MappedToIPv6)
        {
            v4 = ToUInt32(parsed.MapToIPv4());
            return true;
        }

        v6 = parsed;
        return true;
    }

    /// <summary>Dotted-quad IPv4, four decimal parts of 0-255, no leading zeros beyond "0". Scalar: the text is 7-15 bytes.</summary>
    private static bool TryParseIPv4(ReadOnlySpan<byte> text, out uint address)
    {
        address = 0;
        var i = 0;
        for (var part = 0; part < 4; part++)
        {
            if (part > 0)
            {
                if ((uint)i >= (uint)text.Length || text[i] != (byte)'.')
                {
                    return false;
                }

                i++;
            }

            var start = i;
            var value = 0;
            while ((uint)i < (uint)text.Length && i - start < 4)
            {
                var digit = text[i] - '0';
                if ((uint)digit > 9)
                {
                    break;
                }

                value = (value * 10) + digit;
                i++;
            }

            var digits = i - start;
            if (digits is 0 or > 3 || (digits > 1 && text[start] == (byte)'0') || value > 255)
            {
                return false;
            }

            address = (address << 8) | (uint)value;
        }

        return i == text.Length;
    }

    private static int FormatIPv4(uint address, Span<byte> destination)
    {
        if (destination.Length < 4 * 4)
        {
            throw new ArgumentException("Too short for an IPv4 address.", nameof(destination));
        }

        // Each octet from a table of its digits, written 4 bytes at a time; the next write covers the spare ones.
        var written = 0;
        for (var shift = 24; shift >= 0; shift -= 8)
        {
            var octet = OctetText[(int)((address >> shift) & 0xFF)];
            BinaryPrimitives.WriteUInt32LittleEndian(destination[written..], (uint)octet);
            written += (int)(octet >> 32);
        }

        return written - 1; // no '.' after the last octet
    }

    private static void ZeroLowBits(Span<byte> bytes, int bits)
    {
        for (var i = bytes.Length - 1; bits > 0; i--, bits -= 8)
        {
            bytes[i] = bits >= 8 ? (byte)0 : (byte)(bytes[i] & (0xFF << bits));
        }
    }

    private static uint ToUInt32(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[4];
        address.TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    /// <summary>"10.0.0.0/8", or a bare address as a network of one.</summary>
    private static IPNetwork? ParseNetwork(string text)
    {
        if (IPNetwork.TryParse(text, out var network))
        {
            return network;
        }

        return IPAddress.TryParse(text, out var address)
            ? new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128)
            : null;
    }

    private static int Bits(int value, int max, string name) =>
        value >= 0 && value <= max ? value : throw new ArgumentOutOfRangeException(name, value, $"Between 0 (keep the whole address) and {max}.");
}
