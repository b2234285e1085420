namespace Beacon.Parser.Model;

/// <summary>Where one decoded value sits in a <see cref="BeaconEvent"/>'s buffer.</summary>
internal readonly record struct Utf8Range(int Start, int Length)
{
    public bool IsEmpty => Length == 0;
}
