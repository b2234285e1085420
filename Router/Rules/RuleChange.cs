namespace Beacon.Router.Rules;

/// <summary>The outcome of a change: its status, the rules in force afterwards, and the reason when refused.</summary>
public sealed record RuleChange(RuleChangeStatus Status, RuleSet Current, string? Error = null);
