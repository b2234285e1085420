using System.Buffers.Text;

namespace Beacon.Router.Rules;

/// <summary>A dotted numeric version (<c>1</c>, <c>1.2</c>, <c>1.2.3</c>, <c>1.2.3.4</c>), compared part by part; missing parts are 0.</summary>
public readonly record struct SdkVersion(int Major, int Minor, int Patch, int Build) : IComparable<SdkVersion>
{
    public static bool TryParse(ReadOnlySpan<byte> text, out SdkVersion version)
    {
        version = default;
        Span<int> parts = stackalloc int[4];
        var count = 0;
        while (true)
        {
            if (count == 4)
            {
                return false;
            }

            var dot = text.IndexOf((byte)'.');
            var part = dot < 0 ? text : text[..dot];
            if (part.IsEmpty || part.Length > 9 || !Utf8Parser.TryParse(part, out int value, out var consumed) || consumed != part.Length || value < 0)
            {
                return false;
            }

            parts[count++] = value;
            if (dot < 0)
            {
                break;
            }

            text = text[(dot + 1)..];
        }

        version = new SdkVersion(parts[0], parts[1], parts[2], parts[3]);
        return true;
    }

    public int CompareTo(SdkVersion other)
    {
        var c = Major.CompareTo(other.Major);
        if (c == 0)
        {
            c = Minor.CompareTo(other.Minor);
        }

        if (c == 0)
        {
            c = Patch.CompareTo(other.Patch);
        }

        return c != 0 ? c : Build.CompareTo(other.Build);
    }

    public static bool operator <(SdkVersion left, SdkVersion right) => left.CompareTo(right) < 0;

    public static bool operator >(SdkVersion left, SdkVersion right) => left.CompareTo(right) > 0;

    public static bool operator <=(SdkVersion left, SdkVersion right) => left.CompareTo(right) <= 0;

    public static bool operator >=(SdkVersion left, SdkVersion right) => left.CompareTo(right) >= 0;
}
