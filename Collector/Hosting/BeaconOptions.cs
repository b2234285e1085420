namespace Beacon.Collector.Hosting;

/// <summary>Collector-wide settings. Bound from <c>Beacon</c>; each stage has its own section below it.</summary>
public sealed class BeaconOptions
{
    public const string Section = "Beacon";

    /// <summary>Where the embedded sink keeps its segment files, relative to the working directory. Default "data".</summary>
    public string DataDirectory { get; set; } = "data";
}
