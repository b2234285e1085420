namespace Beacon.Router.Sinks;

/// <summary>
/// Told when records a client waits for are safe: acknowledged by Kafka, or covered by an fsync of a
/// segment file or the spool. Called from the pipeline thread or librdkafka's delivery thread, so
/// implementations must be thread-safe and quick.
/// </summary>
public interface IRecordAcknowledgement
{
    /// <summary><paramref name="records"/> of the waiter's records are durable.</summary>
    void Acknowledge(int records);

    /// <summary><paramref name="records"/> of the waiter's records could not be kept (e.g. Kafka down and the spool full).</summary>
    void Fail(int records);
}
