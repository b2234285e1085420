namespace Beacon.Router.Sinks;

/// <summary>Where routed records leave Beacon: local segment files (the embedded default) or Kafka.</summary>
public interface IRecordSink : IDisposable
{
    /// <summary>Whether the sink can take records now; a Kafka sink that is down but has spool room still can.</summary>
    bool IsReady => true;

    /// <summary>
    /// Takes a record; it may stay buffered until <see cref="Flush"/>. Called from one thread. A record
    /// with an <see cref="SinkRecord.Acknowledgement"/> is acknowledged once durable (or failed), and a
    /// pending acknowledgement makes the next <see cref="Flush"/> durable: one fsync for all of them.
    /// </summary>
    void Append(in SinkRecord record);

    /// <summary>Makes every appended record visible to readers; with <paramref name="durable"/>, also on disk.</summary>
    void Flush(bool durable);
}
