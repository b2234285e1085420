using Beacon.Parser.Model;
using Beacon.Router.Routing;

namespace Beacon.Router.Rules;

/// <summary>
/// One version of the rules, immutable once built. The first active rule whose scope matches an
/// event decides its fate (so put narrow rules before broad ones); no match keeps the event.
/// </summary>
public sealed class RuleSet
{
    public RuleSet(long version, IReadOnlyList<Rule> rules, RuleSetChange? change = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(version);
        Version = version;
        Rules = rules;
        Change = change ?? new RuleSetChange("", 0, null, [], [], []);
        VersionText = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        ETag = $"\"{VersionText}\"";
    }

    /// <summary>Version 0: no rules, before anyone has pushed any.</summary>
    public static RuleSet Empty { get; } = new(0, []);

    public long Version { get; }

    public IReadOnlyList<Rule> Rules { get; }

    /// <summary>Who made this version, when, and what it changed from the one before.</summary>
    public RuleSetChange Change { get; }

    /// <summary>The version as text, made once: it goes into a header on every response.</summary>
    public string VersionText { get; }

    /// <summary>The HTTP entity tag of this version: <c>"7"</c>.</summary>
    public string ETag { get; }

    public RuleDecision Evaluate(BeaconEvent evt, BusinessRoute route, ReadOnlySpan<byte> deviceId)
    {
        ArgumentNullException.ThrowIfNull(evt);
        ArgumentNullException.ThrowIfNull(route);
        return Evaluate(evt.App, evt.Platform, evt.EventType, route.Name, evt.Sdk, evt.ReceivedAtMs, deviceId);
    }

    /// <summary>The first active rule matching these fields decides; none keeps the event.</summary>
    public RuleDecision Evaluate(
        ReadOnlySpan<byte> app,
        ReadOnlySpan<byte> platform,
        ReadOnlySpan<byte> eventType,
        string route,
        ReadOnlySpan<byte> sdk,
        long atMs,
        ReadOnlySpan<byte> deviceId)
    {
        var rules = Rules;
        for (var i = 0; i < rules.Count; i++)
        {
            var rule = rules[i];
            if (!rule.IsActiveAt(atMs) || !rule.Scope.Matches(app, platform, eventType, route, sdk))
            {
                continue;
            }

            return rule.Action switch
            {
                RuleAction.Drop => new RuleDecision(RuleOutcome.Dropped, rule, 0),
                RuleAction.Hold => new RuleDecision(RuleOutcome.Held, rule, 1.0),
                _ => DeviceSampler.Keeps(rule.IdUtf8, deviceId, rule.Rate)
                    ? new RuleDecision(RuleOutcome.Kept, rule, rule.Rate)
                    : new RuleDecision(RuleOutcome.SampledOut, rule, rule.Rate),
            };
        }

        return RuleDecision.Keep;
    }

    /// <summary>Whether a hold rule with this id is in force now: held records wait while it is.</summary>
    public bool IsHolding(string ruleId, long nowMs)
    {
        foreach (var rule in Rules)
        {
            if (rule.Action == RuleAction.Hold && rule.Id == ruleId && rule.IsActiveAt(nowMs))
            {
                return true;
            }
        }

        return false;
    }
}
