using Beacon.Router.Routing;

namespace Beacon.Router.Rules;

/// <summary>
/// Changes the rules: validates a whole set, appends it to the config log as the next version, and
/// answers once the log has handed it back (so the change is in force here, and on its way to every
/// replica). Optimistic: a caller names the version it read; a stale one is a conflict.
/// </summary>
public sealed class RuleAdministrator(RuleBook book, IRuleLog log, RouteTable routes, RecentEvents recent, TimeProvider time) : IDisposable
{
    private static readonly TimeSpan ApplyTimeout = TimeSpan.FromSeconds(10);
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly IReadOnlySet<string> _routeNames = routes.Routes.Select(static r => r.Name).Append(routes.Default.Name).ToHashSet(StringComparer.Ordinal);

    /// <summary>Replaces the rules with the set in <paramref name="body"/> (<c>{"rules":[…]}</c>).</summary>
    public async Task<RuleChange> ReplaceAsync(ReadOnlyMemory<byte> body, long? ifVersion, string author, CancellationToken cancellationToken)
    {
        IReadOnlyList<Rule> rules;
        try
        {
            rules = RuleSetJson.ReadRules(body.Span, _routeNames);
        }
        catch (RuleValidationException ex)
        {
            return new RuleChange(RuleChangeStatus.Invalid, book.Current, ex.Message);
        }

        return await WriteAsync(rules, ifVersion, author, rolledBackTo: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Makes a new version with the rules of an earlier <paramref name="version"/>.</summary>
    public async Task<RuleChange> RollBackAsync(long version, long? ifVersion, string author, CancellationToken cancellationToken)
    {
        var target = book.Find(version);
        if (target is null)
        {
            return new RuleChange(RuleChangeStatus.NotFound, book.Current, $"There is no version {version}.");
        }

        return await WriteAsync(target.Rules, ifVersion, author, version, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>What the rules in <paramref name="body"/> would do to the recent events; nothing changes.</summary>
    public RuleDryRun DryRun(ReadOnlySpan<byte> body)
    {
        var rules = RuleSetJson.ReadRules(body, _routeNames);
        return recent.DryRun(new RuleSet(book.Current.Version + 1, rules), time.GetUtcNow().ToUnixTimeMilliseconds());
    }

    private async Task<RuleChange> WriteAsync(IReadOnlyList<Rule> rules, long? ifVersion, string author, long? rolledBackTo, CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = book.Current;
            if (ifVersion is { } expected && expected != current.Version)
            {
                return new RuleChange(RuleChangeStatus.Conflict, current, $"The rules are at version {current.Version}, not {expected}: read them again.");
            }

            var change = RuleSetChange.Between(current.Rules, rules, author, time.GetUtcNow().ToUnixTimeMilliseconds(), rolledBackTo);
            // Fresh rule objects: a rolled-back set's rules already belong to an older version.
            var next = RuleSetJson.ReadVersion(RuleSetJson.WriteVersion(new RuleSet(current.Version + 1, rules, change)));
            var written = RuleSetJson.WriteVersion(next);
            try
            {
                await log.AppendAsync(next, cancellationToken).WaitAsync(ApplyTimeout, cancellationToken).ConfigureAwait(false);
                await WaitForVersionAsync(next.Version, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or IOException or Confluent.Kafka.KafkaException)
            {
                return new RuleChange(RuleChangeStatus.Unavailable, book.Current, $"The config log did not take the change: {ex.Message}");
            }

            // Two replicas may have written this version at once; the log's first one is in force everywhere.
            var stored = book.Find(next.Version);
            return stored is not null && RuleSetJson.WriteVersion(stored).AsSpan().SequenceEqual(written)
                ? new RuleChange(RuleChangeStatus.Applied, stored)
                : new RuleChange(RuleChangeStatus.Conflict, book.Current, $"Another change took version {next.Version} first: read the rules again.");
        }
        finally
        {
            _writing.Release();
        }
    }

    public void Dispose() => _writing.Dispose();

    private async Task WaitForVersionAsync(long version, CancellationToken cancellationToken)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnChanged(RuleSet set)
        {
            if (set.Version >= version)
            {
                reached.TrySetResult();
            }
        }

        book.Changed += OnChanged;
        try
        {
            if (book.Current.Version < version)
            {
                await reached.Task.WaitAsync(ApplyTimeout, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            book.Changed -= OnChanged;
        }
    }
}
