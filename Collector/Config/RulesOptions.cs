using Beacon.Router.Rules;

namespace Beacon.Collector.Config;

/// <summary>SRE rules: where they are read from and how clients cache them. Bound from <c>Beacon:Rules</c>.</summary>
public sealed class RulesOptions
{
    /// <summary>
    /// With the embedded default, the directory of rule versions (default <c>{DataDirectory}/config</c>);
    /// collectors sharing it share rules. With Kafka the rules live in the config topic instead.
    /// </summary>
    public string? Directory { get; set; }

    /// <summary>How often the embedded default looks for versions written by another collector. Default 1 s.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long clients may cache <c>/v1/config</c> (Cache-Control max-age). Default 30 s.</summary>
    public TimeSpan ClientMaxAge { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How held records are kept and released.</summary>
    public HoldOptions Hold { get; } = new();
}
