namespace Beacon.Router.Rules;

/// <summary>The audit entry of a version: who (the admin token's name), when, and the diff by rule id.</summary>
public sealed record RuleSetChange(
    string Author,
    long ChangedAtMs,
    long? RolledBackTo,
    IReadOnlyList<string> Added,
    IReadOnlyList<string> Removed,
    IReadOnlyList<string> Changed)
{
    /// <summary>The diff from <paramref name="before"/> to <paramref name="after"/>, by rule id.</summary>
    public static RuleSetChange Between(IReadOnlyList<Rule> before, IReadOnlyList<Rule> after, string author, long changedAtMs, long? rolledBackTo = null)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var old = before.ToDictionary(static r => r.Id, StringComparer.Ordinal);
        var added = new List<string>();
        var changed = new List<string>();
        foreach (var rule in after)
        {
            if (!old.Remove(rule.Id, out var previous))
            {
                added.Add(rule.Id);
            }
            else if (!rule.SameAs(previous))
            {
                changed.Add(rule.Id);
            }
        }

        return new RuleSetChange(author, changedAtMs, rolledBackTo, added, [.. old.Keys], changed);
    }
}
