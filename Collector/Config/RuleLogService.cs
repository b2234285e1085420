using Beacon.Router.Rules;

namespace Beacon.Collector.Config;

/// <summary>
/// Reads the stored rule versions before the collector takes traffic, then follows the log so a change
/// made on any replica takes effect here.
/// </summary>
internal sealed partial class RuleLogService(IRuleLog log, RuleBook book, ILogger<RuleLogService> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        book.Changed += OnChanged;
        await log.StartAsync(book, cancellationToken);
        var version = book.Current.Version;
        var rules = book.Current.Rules.Count;
        LogStarted(logger, version, rules);
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        book.Changed -= OnChanged;
        return Task.CompletedTask;
    }

    private void OnChanged(RuleSet set)
    {
        var added = string.Join(",", set.Change.Added);
        var removed = string.Join(",", set.Change.Removed);
        var changed = string.Join(",", set.Change.Changed);
        LogChanged(logger, set.Version, set.Change.Author, added, removed, changed);
    }

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "Rules at version {Version} ({Rules} rules).")]
    private static partial void LogStarted(ILogger logger, long version, int rules);

    [LoggerMessage(EventId = 701, Level = LogLevel.Information, Message = "Rules changed to version {Version} by {Author}: added [{Added}], removed [{Removed}], changed [{Changed}].")]
    private static partial void LogChanged(ILogger logger, long version, string author, string added, string removed, string changed);
}
