namespace Beacon.Router.Rules;

/// <summary>What a rule does with the events it matches.</summary>
public enum RuleAction
{
    /// <summary>Keep a fraction of devices (deterministic per device), drop the rest.</summary>
    Sample,

    /// <summary>Delay upload: clients keep matching events; the server defers what it still receives until the rule is lifted.</summary>
    Hold,

    /// <summary>Drop every matching event.</summary>
    Drop,
}
