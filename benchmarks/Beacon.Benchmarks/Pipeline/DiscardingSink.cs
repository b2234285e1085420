using Beacon.Router.Sinks;

namespace Beacon.Benchmarks.Pipeline;

/// <summary>A sink that keeps nothing, so route + serialise is measured without I/O. Counts bytes so the work can't be skipped.</summary>
internal sealed class DiscardingSink : IRecordSink
{
    public long Bytes { get; private set; }

    public void Append(in SinkRecord record) => Bytes += record.Value.Length + record.Key.Length;

    public void Flush(bool durable)
    {
    }

    public void Dispose()
    {
    }
}
