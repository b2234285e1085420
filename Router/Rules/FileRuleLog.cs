using System.Globalization;

namespace Beacon.Router.Rules;

/// <summary>
/// The embedded default's config log: one file per version (<c>v000000000007.json</c>) in a directory.
/// A version is written to a temporary file, fsync'd, then renamed into place without replacing, so a
/// version is either whole or absent, and two writers of the same version cannot both win. Collectors
/// sharing the directory follow it by polling.
/// </summary>
public sealed class FileRuleLog(string directory, TimeSpan pollInterval) : IRuleLog
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _reading = new(1, 1);
    private RuleBook? _book;
    private Task _following = Task.CompletedTask;

    public string DirectoryPath => directory;

    public async Task StartAsync(RuleBook book, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        _book = book;
        await ReadNewAsync(cancellationToken).ConfigureAwait(false);
        _following = FollowAsync(_stopping.Token);
    }

    public async Task AppendAsync(RuleSet version, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(version);
        var temporary = Path.Combine(directory, $".v{version.Version}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
            {
                await file.WriteAsync(RuleSetJson.WriteVersion(version), cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, PathOf(version.Version), overwrite: false);
        }
        catch (IOException) when (File.Exists(PathOf(version.Version)))
        {
            // Another writer got this version first; reading the log tells the caller it lost.
        }
        finally
        {
            File.Delete(temporary);
        }

        await ReadNewAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _stopping.Cancel();
        try
        {
            _following.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // Cancelled: that is how following stops.
        }

        _stopping.Dispose();
        _reading.Dispose();
    }

    private string PathOf(long version) => Path.Combine(directory, $"v{version.ToString("D12", CultureInfo.InvariantCulture)}.json");

    private async Task FollowAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(pollInterval);
        while (await timer.WaitForNextTickAsync(stopping).ConfigureAwait(false))
        {
            await ReadNewAsync(stopping).ConfigureAwait(false);
        }
    }

    /// <summary>Accepts every stored version after the current one, in order.</summary>
    private async Task ReadNewAsync(CancellationToken cancellationToken)
    {
        var book = _book ?? throw new InvalidOperationException("Start the log first.");
        await _reading.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (File.Exists(PathOf(book.Current.Version + 1)))
            {
                var bytes = await File.ReadAllBytesAsync(PathOf(book.Current.Version + 1), cancellationToken).ConfigureAwait(false);
                book.Accept(RuleSetJson.ReadVersion(bytes));
            }
        }
        finally
        {
            _reading.Release();
        }
    }
}
