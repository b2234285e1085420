namespace Beacon.Router.Rules;

/// <summary>The fate of one event: the deciding rule (none when no rule matched) and the sample rate that applied.</summary>
public readonly record struct RuleDecision(RuleOutcome Outcome, Rule? Rule, double SampleRate)
{
    public static RuleDecision Keep { get; } = new(RuleOutcome.Kept, null, 1.0);
}
