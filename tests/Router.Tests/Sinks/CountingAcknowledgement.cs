using Beacon.Router.Sinks;

namespace Beacon.Router.Tests.Sinks;

/// <summary>Counts what a sink told a waiting client.</summary>
internal sealed class CountingAcknowledgement : IRecordAcknowledgement
{
    private int _acknowledged;
    private int _failed;

    public int Acknowledged => Volatile.Read(ref _acknowledged);

    public int Failed => Volatile.Read(ref _failed);

    public void Acknowledge(int records) => Interlocked.Add(ref _acknowledged, records);

    public void Fail(int records) => Interlocked.Add(ref _failed, records);
}
