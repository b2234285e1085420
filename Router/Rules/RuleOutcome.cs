namespace Beacon.Router.Rules;

/// <summary>What the rule set decided for one event.</summary>
public enum RuleOutcome
{
    /// <summary>No rule matched, or a sample rule kept it: the event is written.</summary>
    Kept,

    /// <summary>A sample rule left this device out.</summary>
    SampledOut,

    /// <summary>A hold rule defers the event until the rule is lifted.</summary>
    Held,

    /// <summary>A drop rule discarded the event.</summary>
    Dropped,
}
