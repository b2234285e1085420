namespace Beacon.Router.Rules;

/// <summary>What a proposed rule set would have done to the recent events: per rule, events decided and how.</summary>
public sealed class RuleDryRun(RuleSet rules)
{
    private readonly Dictionary<string, long[]> _byRule = rules.Rules.ToDictionary(static r => r.Id, static _ => new long[4], StringComparer.Ordinal);

    public long Events { get; private set; }

    /// <summary>Events no rule matched (kept as they are).</summary>
    public long Unmatched { get; private set; }

    /// <summary>Per rule in order: events it would decide (first match) and their outcomes.</summary>
    public IEnumerable<(Rule Rule, long Matched, long Kept, long SampledOut, long Held, long Dropped)> ByRule =>
        rules.Rules.Select(r =>
        {
            var c = _byRule[r.Id];
            return (r, c.Sum(), c[(int)RuleOutcome.Kept], c[(int)RuleOutcome.SampledOut], c[(int)RuleOutcome.Held], c[(int)RuleOutcome.Dropped]);
        });

    internal void Count(RuleDecision decision)
    {
        Events++;
        if (decision.Rule is null)
        {
            Unmatched++;
            return;
        }

        _byRule[decision.Rule.Id][(int)decision.Outcome]++;
    }
}
