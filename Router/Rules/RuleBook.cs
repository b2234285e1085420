using System.Collections.Concurrent;

namespace Beacon.Router.Rules;

/// <summary>
/// The rules in force and every version before them, as read from the config log. A version takes
/// effect only if it is the next one (current + 1): the log's order decides between two replicas that
/// wrote the same version at once, and every replica decides the same way.
/// </summary>
public sealed class RuleBook
{
    private readonly Lock _gate = new();
    private readonly List<RuleSet> _history = [RuleSet.Empty];
    private readonly ConcurrentDictionary<string, RuleCounter> _counters = new(StringComparer.Ordinal);
    private volatile RuleSet _current = RuleSet.Empty;

    /// <summary>Raised (on the log's thread) after a new version took effect.</summary>
    public event Action<RuleSet>? Changed;

    public RuleSet Current => _current;

    /// <summary>Every version so far, oldest first (version 0 is the empty set).</summary>
    public IReadOnlyList<RuleSet> History
    {
        get
        {
            lock (_gate)
            {
                return [.. _history];
            }
        }
    }

    /// <summary>Counters by rule id, including rules no longer in force (their held records may still be released).</summary>
    public IEnumerable<KeyValuePair<string, RuleCounter>> Counters => _counters;

    public RuleSet? Find(long version)
    {
        lock (_gate)
        {
            return _history.Find(s => s.Version == version);
        }
    }

    /// <summary>The counter of a rule id, made on first use.</summary>
    public RuleCounter CounterFor(string ruleId) => _counters.GetOrAdd(ruleId, static _ => new RuleCounter());

    /// <summary>Takes a version read from the log; false (and ignored) when it is not the next version.</summary>
    public bool Accept(RuleSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        lock (_gate)
        {
            if (set.Version != _current.Version + 1)
            {
                return false;
            }

            foreach (var rule in set.Rules)
            {
                rule.Counter = CounterFor(rule.Id);
            }

            _history.Add(set);
            _current = set;
        }

        Changed?.Invoke(set);
        return true;
    }
}
