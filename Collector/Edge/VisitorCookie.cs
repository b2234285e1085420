using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Primitives;

namespace Beacon.Collector.Edge;

/// <summary>
/// Reads and issues the visitor-id cookie: 128 random bits as 32 hex digits. A value that is not
/// exactly that is never trusted; the visitor gets a fresh id.
/// </summary>
public sealed class VisitorCookie
{
    private const int IdLength = 32;
    private const int RandomBatchBytes = 256 * 16;
    [ThreadStatic] private static byte[]? t_random;
    [ThreadStatic] private static int t_randomUsed;
    private static readonly SearchValues<char> LowerHex = SearchValues.Create("0123456789abcdef");
    private readonly string _name;
    private readonly string _attributes;

    public VisitorCookie(VisitorCookieOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.SameSite is not ("None" or "Lax" or "Strict"))
        {
            throw new ArgumentException($"SameSite must be None, Lax or Strict, not '{options.SameSite}'.", nameof(options));
        }

        _name = options.Name;
        var attributes = new StringBuilder();
        attributes.Append(CultureInfo.InvariantCulture, $"; Max-Age={(long)options.MaxAge.TotalSeconds}; Path=/");
        if (!string.IsNullOrEmpty(options.Domain))
        {
            attributes.Append("; Domain=").Append(options.Domain);
        }

        if (options.Secure)
        {
            attributes.Append("; Secure");
        }

        if (options.HttpOnly)
        {
            attributes.Append("; HttpOnly");
        }

        attributes.Append("; SameSite=").Append(options.SameSite);
        _attributes = attributes.ToString();
    }

    /// <summary>The visitor id in the request's cookies, when one is there and well-formed.</summary>
    public bool TryRead(StringValues cookieHeaders, out Guid visitorId)
    {
        foreach (var header in cookieHeaders)
        {
            var rest = header.AsSpan();
            while (!rest.IsEmpty)
            {
                var end = rest.IndexOf(';');
                var pair = (end < 0 ? rest : rest[..end]).Trim();
                rest = end < 0 ? default : rest[(end + 1)..];
                if (pair.Length == _name.Length + 1 + IdLength && pair.StartsWith(_name, StringComparison.Ordinal) && pair[_name.Length] == '=')
                {
                    if (TryParseId(pair[(_name.Length + 1)..], out visitorId))
                    {
                        return true;
                    }
                }
            }
        }

        visitorId = default;
        return false;
    }

    /// <summary>An id as written: exactly 32 lowercase hex digits, not all zeros.</summary>
    public static bool TryParseId(ReadOnlySpan<char> value, out Guid visitorId)
    {
        // All zeros means "no visitor" (anonymous mode) downstream; a real id is never that.
        visitorId = default;
        return value.Length == IdLength && !value.ContainsAnyExcept(LowerHex)
            && Guid.TryParseExact(value, "N", out visitorId) && visitorId != Guid.Empty;
    }

    /// <inheritdoc cref="TryParseId(ReadOnlySpan{char}, out Guid)"/>
    public static bool TryParseId(ReadOnlySpan<byte> value, out Guid visitorId)
    {
        visitorId = default;
        if (value.Length != IdLength)
        {
            return false;
        }

        Span<char> chars = stackalloc char[IdLength];
        for (var i = 0; i < IdLength; i++)
        {
            chars[i] = (char)value[i];
        }

        return TryParseId(chars, out visitorId);
    }

    /// <summary>A new id: 128 bits from the system's CSPRNG.</summary>
    public static Guid NewId()
    {
        // Each call into the system's CSPRNG (OpenSSL, with a getpid for fork safety) costs far more than
        // the 16 bytes: draw 256 ids' worth at a time, per thread, and hand out each byte once.
        var random = t_random ??= new byte[RandomBatchBytes];
        if (t_randomUsed is 0 or RandomBatchBytes)
        {
            RandomNumberGenerator.Fill(random);
            t_randomUsed = 0;
        }

        var id = new Guid(random.AsSpan(t_randomUsed, 16));
        t_randomUsed += 16;
        return id;
    }

    /// <summary>The Set-Cookie header value that gives a visitor its id.</summary>
    public string SetCookieHeader(Guid visitorId) => string.Concat(_name, "=", visitorId.ToString("N"), _attributes);
}
