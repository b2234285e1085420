using System.Text;

namespace Beacon.Router.Rules;

/// <summary>
/// An SDK name and an optional version range, <c>[Min, Max)</c>. Requests name their SDK as
/// <c>sdk=name/version</c> (e.g. <c>js/1.4.0</c>); an event without one never matches an SDK scope.
/// </summary>
public sealed class SdkRange(string name, SdkVersion? min, SdkVersion? max, string? minText, string? maxText)
{
    private readonly byte[] _name = Encoding.UTF8.GetBytes(name);

    public string Name { get; } = name;

    public string? Min { get; } = minText;

    public string? Max { get; } = maxText;

    public bool Matches(ReadOnlySpan<byte> sdk)
    {
        var slash = sdk.IndexOf((byte)'/');
        var name = slash < 0 ? sdk : sdk[..slash];
        if (!name.SequenceEqual(_name))
        {
            return false;
        }

        if (min is null && max is null)
        {
            return true;
        }

        if (slash < 0 || !SdkVersion.TryParse(sdk[(slash + 1)..], out var version))
        {
            return false;
        }

        return (min is not { } lo || version >= lo) && (max is not { } hi || version < hi);
    }
}
