namespace Beacon.Router.Rules;

/// <summary>
/// Where rule versions are kept and shared: a directory of files with the embedded default, the
/// compacted <c>beacon.config</c> topic with Kafka. Every version is appended, never rewritten, so the
/// log is the history and the audit trail.
/// </summary>
public interface IRuleLog : IDisposable
{
    /// <summary>Reads every stored version into <paramref name="book"/>, then keeps following the log in the background.</summary>
    Task StartAsync(RuleBook book, CancellationToken cancellationToken);

    /// <summary>Appends a version. It takes effect when the log delivers it back to the book (other replicas included).</summary>
    Task AppendAsync(RuleSet version, CancellationToken cancellationToken);
}
