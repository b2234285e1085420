using System.Text;

namespace Beacon.Router.Rules;

/// <summary>One SRE rule: a scope, an action and an optional time window (<c>[Start, End)</c>).</summary>
public sealed class Rule
{
    public Rule(string id, RuleAction action, RuleScope scope, double rate = 1.0, DateTimeOffset? start = null, DateTimeOffset? end = null)
    {
        Id = id;
        _idUtf8 = Encoding.UTF8.GetBytes(id);
        Action = action;
        Scope = scope;
        Rate = action == RuleAction.Sample ? rate : 1.0;
        Start = start;
        End = end;
        _startMs = start?.ToUnixTimeMilliseconds() ?? long.MinValue;
        _endMs = end?.ToUnixTimeMilliseconds() ?? long.MaxValue;
    }

    private readonly byte[] _idUtf8;
    private readonly long _startMs, _endMs;

    public string Id { get; }

    /// <summary>The id as UTF-8: what the sampling hash reads.</summary>
    public ReadOnlySpan<byte> IdUtf8 => _idUtf8;

    public RuleAction Action { get; }

    /// <summary>For <see cref="RuleAction.Sample"/>: the fraction of devices kept; 1 for other actions.</summary>
    public double Rate { get; }

    public RuleScope Scope { get; }

    public DateTimeOffset? Start { get; }

    public DateTimeOffset? End { get; }

    /// <summary>Where this rule's outcomes are counted; bound by the <see cref="RuleBook"/> so an id keeps its series across versions.</summary>
    public RuleCounter Counter { get; internal set; } = new();

    public bool IsActiveAt(long unixMs) => unixMs >= _startMs && unixMs < _endMs;

    /// <summary>Same id, action, rate, scope and window: a change between versions is anything else.</summary>
    public bool SameAs(Rule other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Id == other.Id && Action == other.Action && Rate.Equals(other.Rate) && Start == other.Start && End == other.End
            && Scope.Apps.SequenceEqual(other.Scope.Apps) && Scope.Platforms.SequenceEqual(other.Scope.Platforms)
            && Scope.Events.SequenceEqual(other.Scope.Events) && Scope.Routes.SequenceEqual(other.Scope.Routes)
            && Scope.Sdk?.Name == other.Scope.Sdk?.Name && Scope.Sdk?.Min == other.Scope.Sdk?.Min && Scope.Sdk?.Max == other.Scope.Sdk?.Max;
    }
}
